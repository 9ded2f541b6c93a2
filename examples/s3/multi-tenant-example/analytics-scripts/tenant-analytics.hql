-- Tenant Analytics: one tenant's processed orders of the day as its daily summary, in the
-- tenant's own databases — nothing of one tenant is written where another's is.
-- Variables (-d): tenant_id, source_database (<tenant>_processed), target_database
-- (<tenant>_analytics), processing_date.
-- The tables are EXTERNAL with S3 LOCATIONs: the data outlives the cluster's metastore.

CREATE DATABASE IF NOT EXISTS ${source_database}
  LOCATION 's3://multi-tenant-example/warehouse/${source_database}';
CREATE DATABASE IF NOT EXISTS ${target_database}
  LOCATION 's3://multi-tenant-example/warehouse/${target_database}';

-- The tenant's ETL output, partitioned by date as the ETL writes it.
CREATE EXTERNAL TABLE IF NOT EXISTS ${source_database}.orders (
  order_id STRING,
  order_ts TIMESTAMP,
  customer_id STRING,
  amount DECIMAL(10,2),
  currency STRING,
  status STRING,
  tenant_id STRING
)
PARTITIONED BY (`date` STRING)
STORED AS PARQUET
LOCATION 's3://multi-tenant-example/tenant-data/${tenant_id}/processed';
MSCK REPAIR TABLE ${source_database}.orders;

-- Revenue counts completed orders only; a refunded order counts as an order and a refund.
CREATE EXTERNAL TABLE IF NOT EXISTS ${target_database}.daily_summary (
  tenant_id STRING,
  orders BIGINT,
  customers BIGINT,
  refunds BIGINT,
  revenue DECIMAL(12,2),
  currency STRING,
  avg_order_value DECIMAL(12,2)
)
PARTITIONED BY (`date` STRING)
STORED AS PARQUET
LOCATION 's3://multi-tenant-example/tenant-analytics/${tenant_id}/daily_summary';

INSERT OVERWRITE TABLE ${target_database}.daily_summary PARTITION (`date` = '${processing_date}')
SELECT '${tenant_id}',
       COUNT(*),
       COUNT(DISTINCT customer_id),
       SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'completed' THEN amount ELSE 0 END),
       MAX(currency),
       CAST(AVG(CASE WHEN status = 'completed' THEN amount END) AS DECIMAL(12,2))
FROM ${source_database}.orders
WHERE `date` = '${processing_date}';

-- What the step log shows: the tenant's day.
SELECT * FROM ${target_database}.daily_summary WHERE `date` = '${processing_date}';
