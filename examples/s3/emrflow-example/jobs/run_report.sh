#!/usr/bin/env bash
# Runs whatever happened to the other steps (RunIf ALL_DONE): one line per output of the day,
# present or missing, so the morning check starts from a report, not from the console.
set -uo pipefail

day="${1:?usage: run_report.sh <processing date> <bucket folder> <report folder>}"
bucket="${2:?usage: run_report.sh <processing date> <bucket folder> <report folder>}"
out_dir="${3:?usage: run_report.sh <processing date> <bucket folder> <report folder>}"

count() { find "$1" -name "$2" 2>/dev/null | wc -l | tr -d ' '; }
mkdir -p "$out_dir"
{
  echo "emrflow daily-etl run report for $day"
  echo "curated parquet files:   $(count "$bucket/curated/orders/date=$day" '*.parquet')"
  echo "statistics files:        $(count "$bucket/stats/date=$day" 'stats.csv')"
  echo "published parquet files: $(count "$bucket/published/orders/date=$day" '*.parquet')"
} > "$out_dir/report.txt"
cat "$out_dir/report.txt"
