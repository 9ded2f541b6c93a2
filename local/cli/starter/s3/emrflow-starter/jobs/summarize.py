#!/usr/bin/env python3
"""Orders and amounts by status and currency for one day: summary.csv in the output folder.

Locally emrflow hands every s3:// argument over as a folder of the local S3; on EMR the
argument stays s3://..., so a real job would read it with boto3 or Spark.
"""
import csv
import pathlib
import sys
from collections import defaultdict

raw_dir, out_dir = (pathlib.Path(arg) for arg in sys.argv[1:3])
totals = defaultdict(lambda: [0, 0.0])
for path in sorted(raw_dir.glob("*.csv")):
    with path.open(newline="") as rows:
        for row in csv.DictReader(rows):
            key = (row["status"], row["currency"])
            totals[key][0] += 1
            totals[key][1] += float(row["amount"])

out_dir.mkdir(parents=True, exist_ok=True)
with (out_dir / "summary.csv").open("w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["status", "currency", "orders", "amount"])
    for (status, currency), (orders, amount) in sorted(totals.items()):
        writer.writerow([status, currency, orders, f"{amount:.2f}"])
print(f"wrote {len(totals)} row(s) to {out_dir / 'summary.csv'}")
