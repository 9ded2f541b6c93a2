"""Curate one day of raw orders: typed, de-duplicated, cancelled orders dropped, written as
Parquet partitioned by the processing date (`date=YYYY-MM-DD`, like the raw layout). With
dynamic partition overwrite, re-running a day replaces that day's partition only."""
import argparse

from pyspark.sql import SparkSession, functions as F
from pyspark.sql.types import DecimalType, StringType, StructField, StructType

RAW_SCHEMA = StructType([
    StructField("order_id", StringType(), False),
    StructField("customer_id", StringType(), False),
    StructField("order_ts", StringType(), False),
    StructField("amount", StringType(), False),
    StructField("currency", StringType(), False),
    StructField("status", StringType(), False),
])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--processing-date", required=True)
    args = parser.parse_args()

    spark = SparkSession.builder.appName(f"curate-orders-{args.processing_date}").getOrCreate()
    raw = spark.read.option("header", "true").schema(RAW_SCHEMA).csv(args.input)
    curated = (
        raw.filter(F.col("status") != "cancelled")
        .dropDuplicates(["order_id"])
        .withColumn("order_ts", F.to_timestamp("order_ts"))
        .withColumn("amount", F.col("amount").cast(DecimalType(12, 2)))
        .withColumn("currency", F.upper("currency"))
        .withColumn("order_date", F.to_date("order_ts"))
        .withColumn("date", F.lit(args.processing_date))
    )
    (
        curated.coalesce(1)
        .write.mode("overwrite")
        .partitionBy("date")
        .parquet(args.output)
    )
    print(f"curated {curated.count()} order(s) into {args.output}")
    spark.stop()


if __name__ == "__main__":
    main()
