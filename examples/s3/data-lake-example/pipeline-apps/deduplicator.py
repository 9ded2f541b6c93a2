"""Data Deduplication and Cleansing: one row per event from one day of raw events, typed and
tidied, written as Parquet partitioned by --partition-columns. With --dedup-strategy
latest_timestamp a re-delivered event keeps its latest delivery (the latest ingested_at),
so an upstream correction wins over the first copy."""
import argparse

from pyspark.sql import SparkSession, Window, functions as F

# Cleansing: every column's type, and the keys without which a row cannot be used.
TYPES = {
    "event_id": "string",
    "event_ts": "timestamp",
    "customer_id": "string",
    "product_id": "string",
    "event_type": "string",
    "quantity": "int",
    "unit_price": "decimal(10,2)",
    "region": "string",
    "ingested_at": "timestamp",
}
KEYS = ["event_id", "event_ts", "customer_id", "product_id", "ingested_at"]


def cleanse(raw):
    typed = raw.select(
        [F.trim(F.col(column)).cast(kind).alias(column) for column, kind in TYPES.items()]
    )
    return (
        typed.dropna(subset=KEYS)
        .withColumn("event_type", F.lower("event_type"))
        .withColumn("region", F.upper("region"))
        .withColumn("date", F.date_format("event_ts", "yyyy-MM-dd"))
    )


def deduplicate(events, strategy):
    if strategy != "latest_timestamp":
        raise SystemExit(f"unknown --dedup-strategy {strategy} (supported: latest_timestamp)")
    latest_first = Window.partitionBy("event_id").orderBy(F.col("ingested_at").desc())
    return (
        events.withColumn("delivery", F.row_number().over(latest_first))
        .filter(F.col("delivery") == 1)
        .drop("delivery")
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--dedup-strategy", required=True)
    parser.add_argument("--partition-columns", required=True)
    parser.add_argument("--checkpoint-location", required=True)
    args = parser.parse_args()
    partition_columns = args.partition_columns.split(",")

    spark = SparkSession.builder.appName("data-deduplicator").getOrCreate()
    spark.sparkContext.setCheckpointDir(args.checkpoint_location)
    # Every column as text: cleansing decides the types (a row that cannot be typed is dropped).
    raw = spark.read.option("header", "true").csv(args.source)
    # The seed's --checkpoint-location: a reliable checkpoint cuts the lineage before the
    # write, so a lost executor on a big day does not recompute the raw read and the window.
    events = deduplicate(cleanse(raw), args.dedup_strategy).checkpoint()

    # One file per partition; dynamic partition overwrite (SparkConf) replaces only the
    # partitions of this day when a day is run again.
    (
        events.repartition(*partition_columns)
        .write.mode("overwrite")
        .partitionBy(*partition_columns)
        .parquet(args.target)
    )
    print(f"kept {events.count()} of {raw.count()} raw row(s) in {args.target}")
    spark.stop()


if __name__ == "__main__":
    main()
