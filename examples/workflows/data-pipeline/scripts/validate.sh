#!/bin/sh
# Every row needs a product and a positive amount.
set -eu
bad=$(awk -F, 'NR > 1 && ($1 == "" || $3 + 0 <= 0) { n++ } END { print n + 0 }' "$1/raw.csv")
if [ "$bad" -gt 0 ]; then
  echo "$bad invalid rows" >&2
  exit 1
fi
echo "all rows valid"
