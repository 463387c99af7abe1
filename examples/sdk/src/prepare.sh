#!/bin/sh
# prepare.sh COUNT DOCUMENTS TABLE: writes COUNT text files under DOCUMENTS, and a table of them under
# TABLE (documents.csv and its MLTable: one row per document, read as a table by the tabular step).
set -eu
i=1
printf 'document,greeting,times\n' > "$3/documents.csv"
while [ "$i" -le "$1" ]; do
  printf 'document %s says hello %s times\n' "$i" "$i" > "$2/doc$i.txt"
  printf 'doc%s,hello,%s\n' "$i" "$i" >> "$3/documents.csv"
  i=$((i + 1))
done
cat > "$3/MLTable" <<'TABLE'
paths:
  - file: ./documents.csv
transformations:
  - read_delimited:
      delimiter: ','
      header: all_files_same_headers
TABLE
echo "wrote $1 documents to $2 and their table to $3"
