#!/bin/sh
# R² of the model on the features; below the threshold the pipeline stops here.
set -eu
read -r a b < "$WORK/model.txt"
r2=$(awk -v a="$a" -v b="$b" '{ y[NR] = $2; p[NR] = a * $1 + b; s += $2 } END { m = s / NR; for (i = 1; i <= NR; i++) { r += (y[i] - p[i])^2; t += (y[i] - m)^2 } printf "%.4f", 1 - r / t }' "$WORK/features.txt")
echo "R2 = $r2 (minimum $1)"
awk -v r="$r2" -v min="$1" 'BEGIN { exit !(r >= min) }'
