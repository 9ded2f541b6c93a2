"""Cross-Tenant Aggregated Analytics (privacy-preserving): platform-wide figures of the day
over every tenant whose ETL wrote its processed orders, never one tenant's own.

- Counts only: tenants sell in different currencies, so revenue stays per tenant (in each
  tenant's analytics).
- --min-tenants: with fewer tenants than that, platform figures would reveal a tenant's own
  numbers, so the step fails and writes nothing.
- --privacy-mode differential_privacy: each count gets Laplace noise of scale 1/--epsilon (a
  count changes by at most 1 when one order or customer is added), drawn from a generator
  seeded with the date, so a re-run publishes the same figures. The number of tenants is not
  private and is published exactly."""
import argparse
import math
import random
import sys

from pyspark.sql import SparkSession, functions as F
from pyspark.errors import AnalysisException


def laplace(rng, scale):
    u = rng.random() - 0.5
    return -scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant-data-paths", required=True)
    parser.add_argument("--processing-date", required=True)
    parser.add_argument("--aggregation-level", choices=["platform"], required=True)
    parser.add_argument("--privacy-mode", choices=["differential_privacy", "none"], required=True)
    parser.add_argument("--epsilon", type=float, required=True)
    parser.add_argument("--min-tenants", type=int, default=2)
    parser.add_argument("--output-path", required=True)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("cross-tenant-aggregator").getOrCreate()
    try:
        orders = spark.read.parquet(args.tenant_data_paths)
    except AnalysisException:
        # No tenant wrote the day (the path pattern matches nothing).
        orders = None
    tenants = 0 if orders is None else orders.select("tenant_id").distinct().count()
    if tenants < args.min_tenants:
        print(
            f"only {tenants} tenant(s) processed {args.processing_date}: fewer than "
            f"--min-tenants {args.min_tenants}, so platform figures would reveal a tenant's own "
            "numbers; nothing published",
            file=sys.stderr,
        )
        spark.stop()
        sys.exit(3)

    exact = orders.agg(
        F.count("*").alias("orders"),
        F.countDistinct("tenant_id", "customer_id").alias("customers"),
        F.sum(F.when(F.col("status") == "refunded", 1).otherwise(0)).alias("refunds"),
    ).first()
    rng = random.Random(f"{args.aggregation_level}-{args.processing_date}")
    noisy = {}
    for name in ["orders", "customers", "refunds"]:
        value = exact[name]
        if args.privacy_mode == "differential_privacy":
            value = max(0, round(value + laplace(rng, 1.0 / args.epsilon)))
        noisy[name] = value
    row = [(args.processing_date, tenants, noisy["orders"], noisy["customers"], noisy["refunds"],
            args.privacy_mode, args.epsilon)]
    columns = ["date", "tenants", "orders", "customers", "refunds", "privacy_mode", "epsilon"]
    spark.createDataFrame(row, columns).coalesce(1).write.mode("overwrite").option(
        "header", "true"
    ).csv(args.output_path)
    print(f"published platform figures of {tenants} tenants for {args.processing_date}: {noisy}")
    spark.stop()


if __name__ == "__main__":
    main()
