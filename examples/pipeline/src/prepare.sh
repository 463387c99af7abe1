#!/bin/sh
# prepare.sh COUNT OUT: writes COUNT text files under OUT/docs and an MLTable listing them.
set -eu
count=$1
out=$2
mkdir -p "$out/docs"
i=1
while [ "$i" -le "$count" ]; do
  printf 'document %s says hello %s times\n' "$i" "$i" > "$out/docs/doc$i.txt"
  i=$((i + 1))
done
printf 'paths:\n  - pattern: ./docs/*.txt\n' > "$out/MLTable"
echo "wrote $count documents to $out"
