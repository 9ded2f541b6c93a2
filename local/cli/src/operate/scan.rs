//! Which pipeline an execution ran, for `runs --pipeline` and `pipelines`. The pipeline of an
//! execution is in its input — the `PipelineName` every schedule and `emrflow start NAME`
//! write (else the Name of the input's own `Pipeline`) — read with DescribeExecution; only an
//! input naming none (it ran the only pipeline deployed) needs the history, where
//! Validate_Input's answer names it.

use emrflow_executions::{ExecutionDescription, ExecutionRecord, ListFilter};

use super::Backend;

/// How many of the newest executions are looked through for one pipeline's.
pub const SCAN_LIMIT: usize = 500;

/// One execution looked at: its description (with input), its pipeline when known, and its
/// record when reading the history was needed to tell.
pub struct Scanned {
    pub execution: ExecutionDescription,
    pub pipeline: Option<String>,
    pub record: Option<ExecutionRecord>,
}

impl Scanned {
    /// Its whole record: the one already read to tell its pipeline, else read now.
    pub async fn into_record(self, backend: &Backend) -> Result<ExecutionRecord, String> {
        match self.record {
            Some(record) => Ok(record),
            None => backend
                .executions
                .record(&self.execution.execution_arn)
                .await
                .map_err(|error| error.to_string()),
        }
    }
}

/// The newest executions (at most [`SCAN_LIMIT`]), each with its pipeline, handed to `take`
/// newest first until it answers false.
pub async fn scan_executions(
    backend: &Backend,
    filter_status: Option<emrflow_executions::ExecutionStatus>,
    mut take: impl FnMut(Scanned) -> bool,
) -> Result<(), String> {
    let listed = backend
        .executions
        .list(ListFilter {
            status: filter_status,
            limit: SCAN_LIMIT,
        })
        .await
        .map_err(|error| error.to_string())?;
    for summary in listed {
        let execution = match summary.input {
            Some(_) => summary,
            None => backend
                .executions
                .describe(&summary.execution_arn)
                .await
                .map_err(|error| error.to_string())?,
        };
        let (pipeline, record) = match execution.pipeline_in_input() {
            Some(name) => (Some(name), None),
            None => {
                let record = backend
                    .executions
                    .record(&execution.execution_arn)
                    .await
                    .map_err(|error| error.to_string())?;
                (record.pipeline_name(), Some(record))
            }
        };
        if !take(Scanned {
            execution,
            pipeline,
            record,
        }) {
            break;
        }
    }
    Ok(())
}
