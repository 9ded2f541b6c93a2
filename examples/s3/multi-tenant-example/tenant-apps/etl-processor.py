"""Tenant ETL Processing: one tenant's raw orders of the day, checked against the tenant's own
rules, as Parquet partitioned by date under the tenant's processed folder.

Orders whose status the rules drop (test orders, sandboxes) are left out without counting
against quality; an order in a currency the tenant does not sell in, under its minimum
amount or without a customer is invalid. When the share of valid orders is below
--quality-threshold the step fails, saying so, and writes nothing: the tenant's analytics
must not run on a bad day (emrflow skips that tenant's chain, the others go on)."""
import argparse
import json
import sys

from pyspark.sql import SparkSession, functions as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant-id", required=True)
    parser.add_argument("--processing-date", required=True)
    parser.add_argument("--source-path", required=True)
    parser.add_argument("--target-path", required=True)
    parser.add_argument("--processing-rules", required=True)
    parser.add_argument("--quality-threshold", type=float, required=True)
    parser.add_argument("--resource-pool", required=True)
    args = parser.parse_args()

    spark = (
        SparkSession.builder.appName(f"etl-{args.tenant_id}")
        # Only the day's partition is replaced: other days stay.
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .getOrCreate()
    )
    # The tenant's own scheduler pool, as on a shared EMR cluster (FAIR mode).
    spark.sparkContext.setLocalProperty("spark.scheduler.pool", args.resource_pool)
    # spark.read rather than open(): the same code reads s3:// on EMR and a folder locally.
    rules = json.loads(spark.read.text(args.processing_rules, wholetext=True).first()[0])

    orders = spark.read.option("header", "true").csv(args.source_path)
    kept = orders.filter(~F.col("status").isin(rules["drop_statuses"]))
    amount = F.col("amount").cast("decimal(10,2)")
    is_valid = (
        F.col("currency").isin(rules["currencies"])
        & (amount >= F.lit(rules["min_amount"]))
        & F.col("customer_id").isNotNull()
    )
    total = kept.count()
    valid = kept.filter(is_valid)
    valid_count = valid.count()
    quality = valid_count / total if total else 0.0
    print(
        f"{args.tenant_id}: {orders.count()} orders, {orders.count() - total} dropped by rule, "
        f"{valid_count} of {total} valid (quality {quality:.3f})"
    )
    if quality < args.quality_threshold:
        print(
            f"{args.tenant_id}: data quality {quality:.3f} is below --quality-threshold "
            f"{args.quality_threshold} ({total - valid_count} of {total} orders invalid); "
            "nothing written",
            file=sys.stderr,
        )
        spark.stop()
        sys.exit(2)

    processed = valid.select(
        "order_id",
        F.to_timestamp("order_ts").alias("order_ts"),
        "customer_id",
        amount.alias("amount"),
        "currency",
        "status",
        F.lit(args.tenant_id).alias("tenant_id"),
        F.lit(args.processing_date).alias("date"),
    )
    processed.coalesce(1).write.mode("overwrite").partitionBy("date").parquet(args.target_path)
    print(f"{args.tenant_id}: wrote {valid_count} orders to {args.target_path}")
    spark.stop()


if __name__ == "__main__":
    main()
