-- Business Logic Transformation: the day's cleansed events, enriched with the reference
-- tables named in ${enrichment_tables}, as the two business tables the analytics read.
-- Variables (-d): processing_date, source_database, target_database, enrichment_tables,
-- partition_spec (e.g. date='2026-11-21').
-- Every table is EXTERNAL with an S3 LOCATION: the data outlives the cluster's metastore,
-- and the Spark analytics read the business tables' partitions as Parquet paths.

CREATE DATABASE IF NOT EXISTS ${source_database}
  LOCATION 's3://data-lake-example/warehouse/${source_database}';
CREATE DATABASE IF NOT EXISTS ${target_database}
  LOCATION 's3://data-lake-example/warehouse/${target_database}';

-- The deduplicator's output, partitioned as it writes it (date, region).
CREATE EXTERNAL TABLE IF NOT EXISTS ${source_database}.events (
  event_id STRING,
  event_ts TIMESTAMP,
  customer_id STRING,
  product_id STRING,
  event_type STRING,
  quantity INT,
  unit_price DECIMAL(10,2),
  ingested_at TIMESTAMP
)
PARTITIONED BY (`date` STRING, region STRING)
STORED AS PARQUET
LOCATION 's3://data-lake-example/cleansed-data/daily';
-- The day's new partitions, found in the table's folder.
MSCK REPAIR TABLE ${source_database}.events;

CREATE EXTERNAL TABLE IF NOT EXISTS ${source_database}.customer_profiles (
  customer_id STRING,
  signup_date DATE,
  loyalty_tier STRING,
  home_region STRING,
  previous_lifetime_value DECIMAL(12,2)
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
STORED AS TEXTFILE
LOCATION 's3://data-lake-example/reference/customer_profiles'
TBLPROPERTIES ('skip.header.line.count'='1');

CREATE EXTERNAL TABLE IF NOT EXISTS ${source_database}.product_catalog (
  product_id STRING,
  product_name STRING,
  category STRING,
  list_price DECIMAL(10,2),
  stock_on_hand INT,
  reorder_point INT
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
STORED AS TEXTFILE
LOCATION 's3://data-lake-example/reference/product_catalog'
TBLPROPERTIES ('skip.header.line.count'='1');

-- Business rule: revenue is quantity × unit price on a purchase, nothing on a view or cart.
CREATE EXTERNAL TABLE IF NOT EXISTS ${target_database}.customer_interactions (
  event_id STRING,
  event_ts TIMESTAMP,
  customer_id STRING,
  loyalty_tier STRING,
  signup_date DATE,
  previous_lifetime_value DECIMAL(12,2),
  region STRING,
  event_type STRING,
  product_id STRING,
  quantity INT,
  revenue DECIMAL(12,2)
)
PARTITIONED BY (`date` STRING)
STORED AS PARQUET
LOCATION 's3://data-lake-example/warehouse/${target_database}/customer_interactions'
TBLPROPERTIES ('enriched_with'='${enrichment_tables}');

CREATE EXTERNAL TABLE IF NOT EXISTS ${target_database}.product_interactions (
  event_id STRING,
  event_ts TIMESTAMP,
  product_id STRING,
  product_name STRING,
  category STRING,
  stock_on_hand INT,
  reorder_point INT,
  region STRING,
  event_type STRING,
  customer_id STRING,
  quantity INT,
  revenue DECIMAL(12,2)
)
PARTITIONED BY (`date` STRING)
STORED AS PARQUET
LOCATION 's3://data-lake-example/warehouse/${target_database}/product_interactions'
TBLPROPERTIES ('enriched_with'='${enrichment_tables}');

-- A customer or product missing from the reference data keeps its events ('unknown').
INSERT OVERWRITE TABLE ${target_database}.customer_interactions PARTITION (${partition_spec})
SELECT e.event_id,
       e.event_ts,
       e.customer_id,
       COALESCE(c.loyalty_tier, 'unknown'),
       c.signup_date,
       COALESCE(c.previous_lifetime_value, 0),
       e.region,
       e.event_type,
       e.product_id,
       e.quantity,
       CASE WHEN e.event_type = 'purchase' THEN e.quantity * e.unit_price ELSE 0 END
FROM ${source_database}.events e
LEFT JOIN ${source_database}.customer_profiles c ON c.customer_id = e.customer_id
WHERE e.`date` = '${processing_date}';

INSERT OVERWRITE TABLE ${target_database}.product_interactions PARTITION (${partition_spec})
SELECT e.event_id,
       e.event_ts,
       e.product_id,
       COALESCE(p.product_name, 'unknown'),
       COALESCE(p.category, 'unknown'),
       COALESCE(p.stock_on_hand, 0),
       COALESCE(p.reorder_point, 0),
       e.region,
       e.event_type,
       e.customer_id,
       e.quantity,
       CASE WHEN e.event_type = 'purchase' THEN e.quantity * e.unit_price ELSE 0 END
FROM ${source_database}.events e
LEFT JOIN ${source_database}.product_catalog p ON p.product_id = e.product_id
WHERE e.`date` = '${processing_date}';

-- What the step log shows: the day's rows per business table.
SELECT 'customer_interactions' AS business_table, COUNT(*) AS rows
FROM ${target_database}.customer_interactions WHERE `date` = '${processing_date}'
UNION ALL
SELECT 'product_interactions', COUNT(*)
FROM ${target_database}.product_interactions WHERE `date` = '${processing_date}';
