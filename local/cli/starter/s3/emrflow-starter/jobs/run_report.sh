#!/usr/bin/env bash
# Runs whatever happened to the other steps (RunIf ALL_DONE): what the day produced.
set -uo pipefail

day="${1:?usage: run_report.sh <processing date> <bucket folder>}"
bucket="${2:?usage: run_report.sh <processing date> <bucket folder>}"

for area in summary published; do
  folder="$bucket/$area/date=$day"
  files=$(find "$folder" -name '*.csv' 2>/dev/null | wc -l | tr -d ' ')
  echo "$area: $files CSV file(s) in $folder"
done
