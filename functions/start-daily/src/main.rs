//! start-daily: the target of the daily EventBridge schedule.
//!
//! It turns the scheduled event's time into a processing date (UTC date minus
//! `PROCESSING_DAY_OFFSET` days, default 1 = yesterday) and starts the emrflow state machine
//! with the execution name `daily-<YYYY-MM-DD>`. Step Functions keeps execution names unique
//! per state machine, so a second delivery of the same schedule tick (EventBridge and Lambda's
//! async retries both deliver at least once) cannot start a second run for the same day.

mod daily;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use daily::{DailyStarter, StartDailyConfig};
use emrflow_core::EmrflowError;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    emrflow_lambda::serve_with(
        // A configuration error ends the cold start, reported as an init error: a wrong
        // deployment fails loudly at once, not on every scheduled tick.
        || async {
            let config = StartDailyConfig::from_env(|name| std::env::var(name).ok())?;
            let sdk_config = emrflow_core::runtime::lambda_sdk_config()?;
            Ok(DailyStarter::new(
                aws_sdk_sfn::Client::new(&sdk_config),
                config,
            ))
        },
        |starter: &'static DailyStarter, event: EventBridgeEvent| async move {
            starter
                .start_for_event(&event)
                .await
                .map_err(EmrflowError::from)
        },
    )
    .await
}
