#!/bin/sh
# Fit y = a*x + b by least squares.
set -eu
awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
     END { a = (n * sxy - sx * sy) / (n * sxx - sx * sx); b = (sy - a * sx) / n; printf "%.4f %.4f\n", a, b }' \
  "$WORK/features.txt" > "$WORK/model.txt"
echo "model: y = $(cut -d' ' -f1 "$WORK/model.txt")x + $(cut -d' ' -f2 "$WORK/model.txt")"
