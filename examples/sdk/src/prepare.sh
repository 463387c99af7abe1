#!/bin/sh
# prepare.sh COUNT OUT: writes COUNT text files under OUT (the prepare step's output folder).
set -eu
i=1
while [ "$i" -le "$1" ]; do
  printf 'document %s says hello %s times\n' "$i" "$i" > "$2/doc$i.txt"
  i=$((i + 1))
done
echo "wrote $1 documents to $2"
