"""Data Quality Validation: checks one day of raw events against the registered schema and
the quality rules, writes a report (and, with --detailed-report, the rejected rows), and
fails the step when more rows break a rule than --failure-threshold allows, so nothing
downstream runs on a bad day."""
import argparse
import json

from pyspark.sql import SparkSession, functions as F


def read_text(spark, path):
    # spark.read rather than open(): the same code reads s3:// on EMR and a folder locally.
    return spark.read.text(path, wholetext=True).first()[0]


def rule_violations(rules):
    """One (reason, condition) per rule; a row breaking the condition is invalid."""
    checks = [(f"missing {column}", F.col(column).isNull()) for column in rules["required"]]
    checks += [
        (f"unknown {column}", ~F.col(column).isin(allowed))
        for column, allowed in rules["allowed_values"].items()
    ]
    checks += [(f"negative {column}", F.col(column) < 0) for column in rules["non_negative"]]
    return checks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--schema-registry", required=True)
    parser.add_argument("--quality-rules", required=True)
    parser.add_argument("--validation-output", required=True)
    parser.add_argument("--failure-threshold", type=float, required=True)
    parser.add_argument("--detailed-report", choices=["true", "false"], default="false")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("data-validator").getOrCreate()
    schema = read_text(spark, args.schema_registry.rstrip("/") + "/events.ddl").strip()
    rules = json.loads(read_text(spark, args.quality_rules))
    # A value that does not fit its schema type reads as null, so `required` catches it too.
    events = spark.read.option("header", "true").schema(schema).csv(args.input_path)

    # The first broken rule names the row's reason. A comparison with a null value is null:
    # coalesce counts it as not broken, since `required` already reports the missing value.
    reason = F.lit(None).cast("string")
    for why, broken in reversed(rule_violations(rules)):
        reason = F.when(F.coalesce(broken, F.lit(False)), F.lit(why)).otherwise(reason)
    checked = events.withColumn("rejected_because", reason).cache()

    total = checked.count()
    rejected = checked.filter(F.col("rejected_because").isNotNull())
    invalid = rejected.count()
    ratio = invalid / total if total else 1.0
    passed = total > 0 and ratio <= args.failure_threshold
    report = {
        "input_path": args.input_path,
        "rows": total,
        "invalid_rows": invalid,
        "invalid_ratio": round(ratio, 4),
        "failure_threshold": args.failure_threshold,
        "passed": passed,
    }
    spark.createDataFrame([report]).coalesce(1).write.mode("overwrite").json(
        args.validation_output.rstrip("/") + "/report"
    )
    if args.detailed_report == "true":
        rejected.coalesce(1).write.mode("overwrite").option("header", "true").csv(
            args.validation_output.rstrip("/") + "/rejected_rows"
        )
    print(f"validation report: {json.dumps(report)}")
    spark.stop()
    if not passed:
        raise SystemExit(
            f"{invalid} of {total} row(s) break the quality rules "
            f"({ratio:.1%} > {args.failure_threshold:.1%}): see {args.validation_output}"
        )


if __name__ == "__main__":
    main()
