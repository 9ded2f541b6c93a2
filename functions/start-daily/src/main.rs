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
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        // CloudWatch Logs stamps every line already.
        .without_time()
        .with_current_span(false)
        .init();

    // Configuration errors end the cold start: a wrong deployment should fail loudly and
    // at once, not on every scheduled tick with a less obvious message.
    let config = StartDailyConfig::from_env(|name| std::env::var(name).ok())?;
    let sdk_config = aws_config::load_from_env().await;
    let starter = DailyStarter::new(aws_sdk_sfn::Client::new(&sdk_config), config);
    let starter = &starter;

    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent>| async move {
            starter.start_for_event(&event.payload).await
        },
    ))
    .await
}
