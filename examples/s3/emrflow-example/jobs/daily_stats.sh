#!/usr/bin/env bash
# The second branch beside the Spark curation: the day's order counts and amounts by status
# and currency, as a small CSV for the finance dashboard.
set -euo pipefail

raw_dir="${1:?usage: daily_stats.sh <raw folder of the day> <output folder>}"
out_dir="${2:?usage: daily_stats.sh <raw folder of the day> <output folder>}"

mkdir -p "$out_dir"
{
  echo "status,currency,orders,amount"
  tail -q -n +2 "$raw_dir"/*.csv \
    | awk -F, '{ key = $6 "," $5; count[key]++; total[key] += $4 }
               END { for (key in count) printf "%s,%d,%.2f\n", key, count[key], total[key] }' \
    | sort
} > "$out_dir/stats.csv"
echo "wrote $(($(wc -l < "$out_dir/stats.csv") - 1)) row(s) of statistics to $out_dir/stats.csv"
