//! moto's server as a real DynamoDB (and Step Functions) peer on loopback, for tests only
//! (feature `moto`; never in a deployed binary). `make moto-tools` installs it into
//! `<repo>/.tools/moto-venv`; a test that needs it fails, saying so, when it is missing.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

use crate::store::{CLUSTER_ID, EXPIRES_AT, WAITER};

/// How long moto may take to start (Python imports every service first).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The region every test client uses.
pub const REGION: &str = "us-east-1";

/// Where `make moto-tools` installs moto's server.
pub fn moto_server_path() -> PathBuf {
    // This crate is <repo>/functions/events.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .nth(2)
        .unwrap_or(crate_dir)
        .join(".tools/moto-venv/bin/moto_server")
}

/// A running moto server; dropping it stops the process.
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl MotoServer {
    /// Starts moto's server on a free loopback port and waits until it accepts connections.
    pub async fn start() -> Result<MotoServer, String> {
        let program = moto_server_path();
        if !program.exists() {
            return Err(format!(
                "moto's server is not installed at {}: run `make moto-tools` (`make unit` installs it before cargo test)",
                program.display()
            ));
        }
        let addr = free_loopback_port()?;
        let log = std::env::temp_dir().join(format!("emrflow-moto-{}.log", addr.port()));
        let log_file = std::fs::File::create(&log)
            .map_err(|error| format!("cannot create {}: {error}", log.display()))?;
        let stderr = log_file
            .try_clone()
            .map_err(|error| format!("cannot share {}: {error}", log.display()))?;
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", program.display()))?;
        let mut server = MotoServer { child, addr, log };
        server.wait_until_ready().await?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`: the value of `AWS_ENDPOINT_URL_DYNAMODB` / `_SFN`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A DynamoDB client for this server (dummy credentials).
    pub fn dynamodb_client(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("moto", "moto", None, None, "moto"))
            .endpoint_url(self.endpoint_url())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// Creates the token table as the SAM template does: `ClusterId` (S) and `Waiter` (S)
    /// as keys, pay per request, TTL on `ExpiresAt`.
    pub async fn create_token_table(&self, table: &str) -> Result<(), String> {
        let client = self.dynamodb_client();
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
        };
        let string = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        client
            .create_table()
            .table_name(table)
            .set_key_schema(Some(vec![
                key(CLUSTER_ID, KeyType::Hash).map_err(|e| e.to_string())?,
                key(WAITER, KeyType::Range).map_err(|e| e.to_string())?,
            ]))
            .set_attribute_definitions(Some(vec![
                string(CLUSTER_ID).map_err(|e| e.to_string())?,
                string(WAITER).map_err(|e| e.to_string())?,
            ]))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|error| format!("CreateTable {table}: {}", describe(&error)))?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()
            .map_err(|e| e.to_string())?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|error| format!("UpdateTimeToLive {table}: {}", describe(&error)))?;
        Ok(())
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "moto's server ended at start ({status}): {}",
                    self.log_tail()
                ));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "moto's server did not listen on {} within {} s: {}",
            self.addr,
            START_TIMEOUT.as_secs(),
            self.log_tail()
        ))
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// A port the system just gave out and took back: free unless another process grabs it in
/// the moment before moto binds it.
fn free_loopback_port() -> Result<SocketAddr, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|error| format!("no free loopback port: {error}"))
}

/// The error and its causes, in words.
fn describe(error: &dyn std::error::Error) -> String {
    std::iter::successors(Some(error), |cause| cause.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}
