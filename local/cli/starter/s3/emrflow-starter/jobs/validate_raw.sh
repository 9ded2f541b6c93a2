#!/usr/bin/env bash
# The gate of the pipeline: the day's raw CSV must be there, with the right header and rows.
# Locally emrflow hands every s3:// argument over as a folder of the local S3; on EMR the
# argument stays s3://…, so copy it first (aws s3 cp --recursive) in a real job.
set -euo pipefail

raw_dir="${1:?usage: validate_raw.sh <raw folder of the day>}"
expected_header="order_id,customer_id,amount,currency,status"

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
  rows=$((rows + $(tail -n +2 "$file" | grep -c . || true)))
done
if [ "$rows" -eq 0 ]; then
  echo "$raw_dir: the files hold no rows" >&2
  exit 4
fi
echo "validated ${#files[@]} file(s), $rows row(s) in $raw_dir"
