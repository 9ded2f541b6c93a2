"""Product Analytics Processing: one row per product for the day, from the business table
product_interactions, with the analyses asked for in --analytics-types. Written as one CSV
with a header, small enough for a dashboard and for the quality monitor to read."""
import argparse

from pyspark.sql import SparkSession, Window, functions as F

# A product that turns at least half of its views into purchases is worth recommending.
RECOMMEND_CONVERSION = 0.5


def recommendation(products):
    conversion = F.round(F.col("purchases") / F.col("views"), 3)
    return products.withColumn("conversion_rate", conversion).withColumn(
        "recommend", F.coalesce(F.col("conversion_rate") >= RECOMMEND_CONVERSION, F.lit(False))
    )


def trend_analysis(products):
    by_category = Window.partitionBy("category").orderBy(F.col("revenue").desc())
    return products.withColumn("rank_in_category", F.rank().over(by_category))


def inventory_optimization(products):
    left = F.col("stock_on_hand") - F.col("units_sold")
    return products.withColumn("stock_left", left).withColumn(
        "reorder", left <= F.col("reorder_point")
    )


ANALYSES = {
    "recommendation": recommendation,
    "trend_analysis": trend_analysis,
    "inventory_optimization": inventory_optimization,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-path", required=True)
    parser.add_argument("--target-path", required=True)
    parser.add_argument("--analytics-types", required=True)
    args = parser.parse_args()
    analyses = args.analytics_types.split(",")
    unknown = sorted(set(analyses) - set(ANALYSES))
    if unknown:
        raise SystemExit(f"unknown --analytics-types {unknown} (known: {sorted(ANALYSES)})")

    spark = SparkSession.builder.appName("product-insights").getOrCreate()
    interactions = spark.read.parquet(args.source_path)
    is_type = lambda kind: F.col("event_type") == kind  # noqa: E731
    products = interactions.groupBy(
        "product_id", "product_name", "category", "stock_on_hand", "reorder_point"
    ).agg(
        F.count("*").alias("events"),
        F.count(F.when(is_type("view"), 1)).alias("views"),
        F.count(F.when(is_type("add_to_cart"), 1)).alias("carts"),
        F.count(F.when(is_type("purchase"), 1)).alias("purchases"),
        F.sum(F.when(is_type("purchase"), F.col("quantity")).otherwise(0)).alias("units_sold"),
        F.sum("revenue").alias("revenue"),
    )
    for analysis in analyses:
        products = ANALYSES[analysis](products)

    products.orderBy("product_id").coalesce(1).write.mode("overwrite").option(
        "header", "true"
    ).csv(args.target_path)
    print(f"wrote {products.count()} product(s) with {', '.join(analyses)} to {args.target_path}")
    spark.stop()


if __name__ == "__main__":
    main()
