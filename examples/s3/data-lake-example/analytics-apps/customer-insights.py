"""Customer Analytics Processing: one row per customer for the day, from the business table
customer_interactions, with the analyses asked for in --analytics-types. Written as one CSV
with a header, small enough for a dashboard and for the quality monitor to read."""
import argparse
import json

from pyspark.sql import SparkSession, functions as F


def segmentation(customers, model):
    # Stand-in for a trained model: the revenue threshold comes from the model registry.
    return customers.withColumn(
        "segment",
        F.when(F.col("revenue") >= model["high_value_revenue"], "high_value")
        .when(F.col("revenue") > 0, "buyer")
        .otherwise("browser"),
    )


def churn_prediction(customers, model):
    # Stand-in rule: a visit without a purchase is a risk, worse without even a cart.
    return customers.withColumn(
        "churn_risk",
        F.when(F.col("purchases") > 0, "low")
        .when(F.col("carts") > 0, "medium")
        .otherwise("high"),
    )


def lifetime_value(customers, model):
    return customers.withColumn(
        "lifetime_value", F.col("previous_lifetime_value") + F.col("revenue")
    )


ANALYSES = {
    "segmentation": segmentation,
    "churn_prediction": churn_prediction,
    "lifetime_value": lifetime_value,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-path", required=True)
    parser.add_argument("--target-path", required=True)
    parser.add_argument("--analytics-types", required=True)
    parser.add_argument("--model-registry", required=True)
    args = parser.parse_args()
    analyses = args.analytics_types.split(",")
    unknown = sorted(set(analyses) - set(ANALYSES))
    if unknown:
        raise SystemExit(f"unknown --analytics-types {unknown} (known: {sorted(ANALYSES)})")

    spark = SparkSession.builder.appName("customer-insights").getOrCreate()
    # spark.read rather than open(): the same code reads s3:// on EMR and a folder locally.
    model_path = args.model_registry.rstrip("/") + "/segmentation.json"
    model = json.loads(spark.read.text(model_path, wholetext=True).first()[0])

    interactions = spark.read.parquet(args.source_path)
    is_type = lambda kind: F.col("event_type") == kind  # noqa: E731
    customers = interactions.groupBy(
        "customer_id", "loyalty_tier", "previous_lifetime_value"
    ).agg(
        F.count("*").alias("events"),
        F.count(F.when(is_type("view"), 1)).alias("views"),
        F.count(F.when(is_type("add_to_cart"), 1)).alias("carts"),
        F.count(F.when(is_type("purchase"), 1)).alias("purchases"),
        F.sum("revenue").alias("revenue"),
    )
    for analysis in analyses:
        customers = ANALYSES[analysis](customers, model)

    customers.orderBy("customer_id").coalesce(1).write.mode("overwrite").option(
        "header", "true"
    ).csv(args.target_path)
    print(f"wrote {customers.count()} customer(s) with {', '.join(analyses)} to {args.target_path}")
    spark.stop()


if __name__ == "__main__":
    main()
