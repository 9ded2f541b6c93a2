//! A cluster's `Configurations` (RunJobFlow), as far as they mean something locally:
//! `spark-defaults` becomes Spark's defaults for every Spark and Hive step, `spark-hive-site`
//! Spark's Hive client settings, `hive-site` Hive's own variables; the rest is noted in each
//! step's controller log as not applied locally.

use serde_json::Value;

use super::layout::Layout;

/// Hive settings that would point away from the cluster's own local metastore.
const METASTORE_KEYS: &[&str] = &[
    "javax.jdo.option.",
    "hive.metastore.uris",
    "hive.metastore.client.factory.class",
    "hive.metastore.warehouse.dir",
];

fn is_metastore_key(key: &str) -> bool {
    METASTORE_KEYS.iter().any(|prefix| key.starts_with(prefix))
}

/// What the local EMR takes from a cluster's Configurations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClusterConfigurations {
    /// `spark-defaults`, and `spark-hive-site` as `spark.hadoop.<key>`: Spark's `--conf`.
    spark_conf: Vec<(String, String)>,
    /// `hive-site`: Hive's `--hiveconf`.
    hive_conf: Vec<(String, String)>,
    /// What is not applied locally, one line each.
    notes: Vec<String>,
}

/// A classification's `Properties` as pairs, in the order given (s3:// values mapped).
fn properties(layout: &Layout, configuration: &Value) -> Vec<(String, String)> {
    configuration
        .get("Properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(key, value)| {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string);
                    (key.clone(), layout.map_s3(&value))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl ClusterConfigurations {
    /// From RunJobFlow's `Configurations` (an array of `{Classification, Properties,
    /// Configurations}`); anything else reads as none.
    pub fn read(layout: &Layout, configurations: &Value) -> Self {
        let mut read = ClusterConfigurations::default();
        for configuration in configurations.as_array().into_iter().flatten() {
            let classification = configuration
                .get("Classification")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let pairs = properties(layout, configuration);
            match classification {
                "spark-defaults" => read.spark_conf.extend(pairs),
                "spark-hive-site" => read.add_hive_settings(classification, pairs, |key| {
                    format!("spark.hadoop.{key}")
                }),
                "hive-site" => read.add_hive_settings(classification, pairs, str::to_string),
                "spark" => read.notes.extend(pairs.iter().map(|(key, value)| {
                    format!("Configuration spark: {key}={value} is ignored locally (there are no instances to size Spark for)")
                })),
                other => read.notes.push(format!(
                    "Configuration classification {other} is not applied locally"
                )),
            }
        }
        read
    }

    fn add_hive_settings(
        &mut self,
        classification: &str,
        pairs: Vec<(String, String)>,
        spark_key: impl Fn(&str) -> String,
    ) {
        for (key, value) in pairs {
            if is_metastore_key(&key) {
                self.notes.push(format!(
                    "Configuration {classification}: {key} is not applied locally (each local cluster keeps its own Derby metastore)"
                ));
            } else if classification == "hive-site" {
                self.hive_conf.push((key, value));
            } else {
                self.spark_conf.push((spark_key(&key), value));
            }
        }
    }

    /// `--conf k=v` for each of Spark's settings, to come before a step's own options (so
    /// those win, as on EMR, where spark-defaults are only defaults).
    pub fn spark_conf_args(&self) -> Vec<String> {
        pairs_as_args("--conf", &self.spark_conf)
    }

    /// `--hiveconf k=v` for each `hive-site` setting, before a step's own `--hiveconf`.
    pub fn hive_conf_args(&self) -> Vec<String> {
        pairs_as_args("--hiveconf", &self.hive_conf)
    }

    /// Spark's settings as `k=v` lines (the spark-submit shim reads them).
    pub fn spark_conf_lines(&self) -> String {
        self.spark_conf
            .iter()
            .map(|(key, value)| format!("{key}={value}\n"))
            .collect()
    }

    /// One line per setting or classification that is not applied locally.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

fn pairs_as_args(option: &str, pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(key, value)| [option.to_string(), format!("{key}={value}")])
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    #[test]
    fn each_classification_reaches_what_reads_it_or_is_noted() {
        // GIVEN Configurations as RunJobFlow takes them
        let layout = Layout {
            root: PathBuf::from("/r"),
            spark_submit: None,
            spark_sql: None,
        };
        let configurations = json!([
            {"Classification": "spark-defaults", "Properties": {"spark.eventLog.dir": "s3://logs/spark/", "spark.sql.shuffle.partitions": "4"}},
            {"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}},
            {"Classification": "hive-site", "Properties": {"hive.exec.dynamic.partition.mode": "nonstrict",
                                                           "javax.jdo.option.ConnectionURL": "jdbc:mysql://db/hive"}},
            {"Classification": "spark-hive-site", "Properties": {"hive.metastore.client.factory.class": "glue", "hive.x": "1"}},
            {"Classification": "yarn-site", "Properties": {"yarn.x": "1"}}
        ]);
        // WHEN read
        let read = ClusterConfigurations::read(&layout, &configurations);
        // THEN Spark gets spark-defaults (mapped) and spark-hive-site as spark.hadoop.*
        assert_eq!(
            read.spark_conf_args(),
            [
                "--conf",
                "spark.eventLog.dir=/r/s3/logs/spark/",
                "--conf",
                "spark.sql.shuffle.partitions=4",
                "--conf",
                "spark.hadoop.hive.x=1"
            ]
        );
        // AND Hive gets hive-site, without the metastore's address
        assert_eq!(
            read.hive_conf_args(),
            ["--hiveconf", "hive.exec.dynamic.partition.mode=nonstrict"]
        );
        // AND the rest is noted once each
        assert_eq!(
            read.notes(),
            [
                "Configuration spark: maximizeResourceAllocation=true is ignored locally (there are no instances to size Spark for)",
                "Configuration hive-site: javax.jdo.option.ConnectionURL is not applied locally (each local cluster keeps its own Derby metastore)",
                "Configuration spark-hive-site: hive.metastore.client.factory.class is not applied locally (each local cluster keeps its own Derby metastore)",
                "Configuration classification yarn-site is not applied locally",
            ]
        );
    }
}
