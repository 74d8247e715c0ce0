#!/bin/sh
# Total amount per product in one region.
set -eu
awk -F, -v region="$2" 'NR > 1 && $2 == region { sum[$1] += $3 } END { for (p in sum) print p "," sum[p] }' "$1/raw.csv" > "$1/by-product.csv"
echo "transformed $(wc -l < "$1/by-product.csv") products for $2"
