//! Where a local EMR keeps things under its root, how `s3://bucket/key` maps to a folder
//! there, and the environment every step process gets.

use std::path::{Path, PathBuf};

/// The schemes EMRFS answers to; each maps to `<root>/s3/`.
pub(crate) const S3_SCHEMES: [&str; 3] = ["s3://", "s3a://", "s3n://"];

/// Where a local EMR keeps things, derived from its root directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub root: PathBuf,
    /// The spark-submit steps run ([`super::locate_spark_submit`]); None: none was found.
    pub spark_submit: Option<PathBuf>,
    /// The spark-sql Hive steps run ([`super::locate_spark_sql`]).
    pub spark_sql: Option<PathBuf>,
}

impl Layout {
    /// `<root>/.emrflow/bin`: first on every step's PATH, holding the spark-submit shim.
    pub(crate) fn shim_dir(&self) -> PathBuf {
        self.root.join(".emrflow").join("bin")
    }

    pub fn s3_root(&self) -> PathBuf {
        self.root.join("s3")
    }

    /// `<root>/work/<cluster-id>`: a cluster's local disk (step work dirs, its metastore).
    pub fn cluster_dir(&self, cluster_id: &str) -> PathBuf {
        self.root.join("work").join(cluster_id)
    }

    /// `<root>/logs/<cluster-id>`: the node's logs of a cluster.
    pub fn node_log_dir(&self, cluster_id: &str) -> PathBuf {
        self.root.join("logs").join(cluster_id)
    }

    /// `<root>/logs/<cluster-id>/steps/<step-id>`: where a step's processes write its
    /// `controller`, `stderr` and `stdout` while it runs, as on EMR's node.
    pub fn live_step_log_dir(&self, cluster_id: &str, step_id: &str) -> PathBuf {
        self.node_log_dir(cluster_id).join("steps").join(step_id)
    }

    pub fn work_dir(&self, cluster_id: &str, name: &str) -> PathBuf {
        self.cluster_dir(cluster_id).join(name)
    }

    /// `s3://bucket/key` (also s3a://, s3n://) → `<root>/s3/bucket/key`, anywhere inside
    /// `text` (so `--src=s3://…` and comma lists are mapped too).
    pub fn map_s3(&self, text: &str) -> String {
        let prefix = format!("{}/", self.s3_root().display());
        S3_SCHEMES.iter().fold(text.to_string(), |text, scheme| {
            text.replace(scheme, &prefix)
        })
    }

    /// A URI (s3://, file:// or a plain path) as a local path.
    pub fn uri_to_path(&self, uri: &str) -> PathBuf {
        match uri.strip_prefix("file://") {
            Some(path) => PathBuf::from(path),
            None => PathBuf::from(self.map_s3(uri)),
        }
    }

    /// PATH, EMRFLOW_LOCAL_S3_ROOT and the spark-submit settings every step process gets.
    pub fn step_env(&self, extra_path: Option<&Path>) -> Vec<(String, String)> {
        let mut path_entries: Vec<PathBuf> = vec![self.shim_dir()];
        path_entries.extend(extra_path.map(Path::to_path_buf));
        if let Some(path) = std::env::var_os("PATH") {
            path_entries.extend(std::env::split_paths(&path));
        }
        let joined = std::env::join_paths(path_entries)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut env = vec![
            ("PATH".to_string(), joined),
            (
                "EMRFLOW_LOCAL_S3_ROOT".to_string(),
                self.s3_root().display().to_string(),
            ),
        ];
        if let Some(spark) = &self.spark_submit {
            // pip's pyspark runs the driver with `python3` from PATH, which may lack
            // pyspark: prefer the python installed next to spark-submit (a venv).
            let sibling_python = spark.with_file_name("python3");
            if std::env::var_os("PYSPARK_PYTHON").is_none() && sibling_python.exists() {
                env.push((
                    "PYSPARK_PYTHON".into(),
                    sibling_python.display().to_string(),
                ));
            }
            env.push((
                "EMRFLOW_REAL_SPARK_SUBMIT".into(),
                spark.display().to_string(),
            ));
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_s3_scheme_lands_under_root_s3() {
        // GIVEN a layout WHEN URIs of each scheme are mapped THEN all land under <root>/s3
        let layout = Layout {
            root: PathBuf::from("/tmp/r"),
            spark_submit: None,
            spark_sql: None,
        };
        assert_eq!(
            layout.map_s3("--src=s3://b/k,s3a://c/d s3n://e/f"),
            "--src=/tmp/r/s3/b/k,/tmp/r/s3/c/d /tmp/r/s3/e/f"
        );
        assert_eq!(layout.uri_to_path("file:///x/y"), PathBuf::from("/x/y"));
    }
}
