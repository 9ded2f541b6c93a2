#!/usr/bin/env bash
# Data quality gate for one day of raw orders: the Spark step must never curate a file
# with a wrong header, no rows, or amounts that are not numbers.
set -euo pipefail

raw_dir="${1:?usage: validate_raw.sh <raw folder of the day>}"
expected_header="order_id,customer_id,order_ts,amount,currency,status"

shopt -s nullglob
files=("$raw_dir"/*.csv)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no CSV file in $raw_dir: the day's raw data has not arrived" >&2
  exit 2
fi

rows=0
for file in "${files[@]}"; do
  header=$(head -n 1 "$file" | tr -d '\r')
  if [ "$header" != "$expected_header" ]; then
    echo "$file: header is '$header', expected '$expected_header'" >&2
    exit 3
  fi
  bad=$(tail -n +2 "$file" | awk -F, 'NF != 6 || $4 !~ /^-?[0-9]+(\.[0-9]+)?$/ { print NR + 1 ": " $0 }')
  if [ -n "$bad" ]; then
    echo "$file: malformed rows (line: content):" >&2
    echo "$bad" >&2
    exit 4
  fi
  rows=$((rows + $(tail -n +2 "$file" | grep -c . || true)))
done

if [ "$rows" -eq 0 ]; then
  echo "$raw_dir: files hold no rows" >&2
  exit 5
fi
echo "validated ${#files[@]} file(s), $rows row(s) in $raw_dir"
