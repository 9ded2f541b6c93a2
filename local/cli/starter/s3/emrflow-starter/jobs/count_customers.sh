#!/usr/bin/env bash
# The second branch beside the summary: how many distinct customers ordered that day.
set -euo pipefail

raw_dir="${1:?usage: count_customers.sh <raw folder of the day> <output folder>}"
out_dir="${2:?usage: count_customers.sh <raw folder of the day> <output folder>}"

mkdir -p "$out_dir"
customers=$(tail -q -n +2 "$raw_dir"/*.csv | cut -d, -f2 | sort -u | grep -c . || true)
printf 'customers\n%s\n' "$customers" > "$out_dir/customers.csv"
echo "$customers distinct customer(s), written to $out_dir/customers.csv"
