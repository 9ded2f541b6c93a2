//! Where EMR writes a step's logs: `<LogUri>/<cluster-id>/steps/<step-id>/`, holding
//! `controller`, `stderr` and `stdout` (gzipped by EMR, uploaded about every five minutes).

/// The folder of one step's logs under the cluster's LogUri (ends with `/`).
pub fn step_log_prefix(log_uri: &str, cluster_id: &str, step_id: &str) -> String {
    format!(
        "{}/{cluster_id}/steps/{step_id}/",
        log_uri.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_log_folder_is_under_the_cluster_and_step() {
        // GIVEN a LogUri with and without a trailing slash WHEN the folder is asked THEN one form
        for log_uri in ["s3://logs/emr", "s3://logs/emr/"] {
            assert_eq!(
                step_log_prefix(log_uri, "j-1", "s-2"),
                "s3://logs/emr/j-1/steps/s-2/"
            );
        }
    }
}
