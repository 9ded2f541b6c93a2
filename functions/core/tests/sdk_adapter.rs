//! The aws-sdk-emr adapter: the exact requests it sends and how SDK errors are classified.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_emr::config::retry::RetryConfig;
use aws_sdk_emr::error::{ErrorMetadata, SdkError};
use aws_sdk_emr::operation::add_job_flow_steps::{AddJobFlowStepsInput, AddJobFlowStepsOutput};
use aws_sdk_emr::operation::describe_cluster::{DescribeClusterError, DescribeClusterOutput};
use aws_sdk_emr::operation::list_clusters::{ListClustersInput, ListClustersOutput};
use aws_sdk_emr::operation::list_steps::{ListStepsInput, ListStepsOutput};
use aws_sdk_emr::operation::run_job_flow::{RunJobFlowError, RunJobFlowInput, RunJobFlowOutput};
use aws_sdk_emr::operation::set_termination_protection::{
    SetTerminationProtectionInput, SetTerminationProtectionOutput,
};
use aws_sdk_emr::operation::terminate_job_flows::{
    TerminateJobFlowsInput, TerminateJobFlowsOutput,
};
use aws_sdk_emr::types as emr;
use aws_sdk_emr::types::error::InvalidRequestException;
use aws_sdk_emr::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use common::{deployment, sample_pipeline, sample_spec, REGION};
use emrflow_core::emr::EmrApi;
use emrflow_core::sdk::classify_sdk_error;
use emrflow_core::{Dispatch, ErrorName, Function, PipelineSpec, SdkEmr};
use serde_json::json;

const EXECUTION: &str = "run-2026-11-21";

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_emr, RuleMode::MatchAny, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

/// Keeps a copy of every request a rule saw.
fn recorder<T>() -> Arc<Mutex<Vec<T>>> {
    Arc::new(Mutex::new(Vec::new()))
}

#[tokio::test]
async fn run_job_flow_sends_the_whole_fleet_cluster() {
    // GIVEN the sample pipeline (fleets with spot task capacity, tags, idle timeout)
    let seen = recorder::<RunJobFlowInput>();
    let record = seen.clone();
    let rule = mock!(Client::run_job_flow).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        RunJobFlowOutput::builder()
            .job_flow_id("j-CREATED1")
            .build()
    });
    let emr = SdkEmr::new(client(&[&rule]));
    let mut pipeline = sample_pipeline();
    pipeline["Cluster"]["Ec2SubnetIds"] = json!(["subnet-a", "subnet-b"]);
    pipeline["Cluster"]["Configurations"] =
        json!([{"Classification": "spark", "Properties": {"maximizeResourceAllocation": "true"}}]);
    pipeline["Cluster"]["BootstrapActions"] =
        json!([{"Name": "deps", "Path": "s3://jobs-bucket/bootstrap.sh", "Args": ["--x"]}]);
    let spec = PipelineSpec::from_value(pipeline).unwrap();
    // WHEN the cluster is launched
    let id = emr
        .run_job_flow(&spec.cluster_launch(EXECUTION))
        .await
        .unwrap();
    // THEN exactly this RunJobFlow request went out
    assert_eq!(id, "j-CREATED1");
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(
        request.name(),
        Some(format!("emrflow-daily-etl-{EXECUTION}").as_str())
    );
    assert_eq!(request.release_label(), Some("emr-7.5.0"));
    let apps: Vec<_> = request
        .applications()
        .iter()
        .map(|a| a.name().unwrap())
        .collect();
    assert_eq!(apps, ["Hadoop", "Spark"]);
    assert_eq!(request.service_role(), Some("EMR_DefaultRole"));
    assert_eq!(request.job_flow_role(), Some("EMR_EC2_DefaultRole"));
    assert_eq!(
        request.log_uri(),
        Some("s3://my-bucket/emr-logs/{{PipelineName}}/")
    );
    assert_eq!(request.visible_to_all_users(), Some(true));
    assert_eq!(request.step_concurrency_level(), Some(1));
    assert_eq!(
        request
            .auto_termination_policy()
            .and_then(|p| p.idle_timeout()),
        Some(3600)
    );
    let configuration = &request.configurations()[0];
    assert_eq!(configuration.classification(), Some("spark"));
    assert_eq!(
        configuration
            .properties()
            .unwrap()
            .get("maximizeResourceAllocation")
            .map(String::as_str),
        Some("true")
    );
    let bootstrap = &request.bootstrap_actions()[0];
    assert_eq!(bootstrap.name(), Some("deps"));
    assert_eq!(
        bootstrap.script_bootstrap_action().unwrap().path(),
        Some("s3://jobs-bucket/bootstrap.sh")
    );
    let instances = request.instances().unwrap();
    assert_eq!(instances.keep_job_flow_alive_when_no_steps(), Some(true));
    assert_eq!(instances.ec2_subnet_ids(), ["subnet-a", "subnet-b"]);
    assert!(instances.instance_groups().is_empty());
    let fleets = instances.instance_fleets();
    let fleet_types: Vec<_> = fleets
        .iter()
        .map(|f| f.instance_fleet_type().unwrap().as_str())
        .collect();
    assert_eq!(fleet_types, ["MASTER", "CORE", "TASK"]);
    assert_eq!(fleets[0].target_on_demand_capacity(), Some(1));
    assert_eq!(fleets[2].target_spot_capacity(), Some(4));
    assert_eq!(fleets[2].target_on_demand_capacity(), None);
    let task_type = &fleets[2].instance_type_configs()[0];
    assert_eq!(task_type.instance_type(), Some("c5.12xlarge"));
    assert_eq!(
        task_type.bid_price_as_percentage_of_on_demand_price(),
        Some(100.0)
    );
    let mut tags: Vec<(String, String)> = request
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("emrflow:execution".to_string(), EXECUTION.to_string()),
            ("emrflow:pipeline".to_string(), "daily-etl".to_string()),
            ("team".to_string(), "data".to_string()),
        ]
    );
}

#[tokio::test]
async fn run_job_flow_sends_instance_groups_with_one_subnet() {
    // GIVEN a pipeline with instance groups (spot core) and one subnet
    let seen = recorder::<RunJobFlowInput>();
    let record = seen.clone();
    let rule = mock!(Client::run_job_flow).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        RunJobFlowOutput::builder()
            .job_flow_id("j-CREATED2")
            .build()
    });
    let mut pipeline = sample_pipeline();
    let cluster = pipeline["Cluster"].as_object_mut().unwrap();
    cluster.remove("InstanceFleets");
    cluster.insert("Ec2SubnetIds".into(), json!(["subnet-a"]));
    cluster.insert(
        "InstanceGroups".into(),
        json!([
            {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
            {"InstanceRole": "CORE", "InstanceType": "r5.2xlarge", "InstanceCount": 3, "Market": "SPOT", "BidPrice": "0.10"}
        ]),
    );
    let spec = PipelineSpec::from_value(pipeline).unwrap();
    // WHEN launched
    SdkEmr::new(client(&[&rule]))
        .run_job_flow(&spec.cluster_launch(EXECUTION))
        .await
        .unwrap();
    // THEN groups (not fleets) and the single subnet are sent
    let request = seen.lock().unwrap()[0].clone();
    let instances = request.instances().unwrap();
    assert_eq!(instances.ec2_subnet_id(), Some("subnet-a"));
    assert!(instances.instance_fleets().is_empty());
    let core = &instances.instance_groups()[1];
    assert_eq!(core.instance_role().map(|r| r.as_str()), Some("CORE"));
    assert_eq!(core.instance_count(), Some(3));
    assert_eq!(core.market().map(|m| m.as_str()), Some("SPOT"));
    assert_eq!(core.bid_price(), Some("0.10"));
}

#[tokio::test]
async fn add_job_flow_steps_sends_each_step_type_shape() {
    // GIVEN a rendered pipeline with Spark, Hive, Script and CustomJar steps
    let seen = recorder::<AddJobFlowStepsInput>();
    let record = seen.clone();
    let rule = mock!(Client::add_job_flow_steps).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        AddJobFlowStepsOutput::builder()
            .set_step_ids(Some(
                (0..input.steps().len()).map(|i| format!("s-{i}")).collect(),
            ))
            .build()
    });
    let mut pipeline = sample_pipeline();
    pipeline["Steps"].as_array_mut().unwrap().push(json!({
        "Name": "jar", "Type": "CustomJar", "Jar": "s3://jobs-bucket/app.jar", "MainClass": "com.x.Main",
        "Args": ["a"], "Properties": {"k": "v"}, "ActionOnFailure": "CONTINUE"
    }));
    let spec = PipelineSpec::from_value(pipeline).unwrap();
    // WHEN the compiled steps are added
    let ids = SdkEmr::new(client(&[&rule]))
        .add_job_flow_steps("j-CLUSTER1", &compile_steps(&spec))
        .await
        .unwrap();
    // THEN one AddJobFlowSteps call carries the exact StepConfigs
    assert_eq!(ids, ["s-0", "s-1", "s-2", "s-3"]);
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request.job_flow_id(), Some("j-CLUSTER1"));
    let steps = request.steps();
    let jar = |i: usize| steps[i].hadoop_jar_step().unwrap();
    assert_eq!(
        steps[0].name(),
        Some(format!("ingest [{EXECUTION}]").as_str())
    );
    assert_eq!(
        steps[0].action_on_failure().map(|a| a.as_str()),
        Some("CANCEL_AND_WAIT")
    );
    assert_eq!(jar(0).jar(), Some("command-runner.jar"));
    assert_eq!(
        jar(0).args(),
        [
            "spark-submit",
            "--deploy-mode",
            "cluster",
            "s3://jobs-bucket/jobs/ingest.py",
            "--date",
            "{{ProcessingDate}}"
        ]
    );
    assert_eq!(
        jar(1).args(),
        [
            "hive-script",
            "--run-hive-script",
            "--args",
            "-f",
            "s3://jobs-bucket/q.hql",
            "-d",
            "day={{ProcessingDateCompact}}"
        ]
    );
    assert_eq!(
        steps[2].action_on_failure().map(|a| a.as_str()),
        Some("TERMINATE_CLUSTER")
    );
    assert_eq!(
        jar(2).jar(),
        Some("s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar")
    );
    assert_eq!(
        jar(2).args(),
        ["s3://jobs-bucket/run.sh", "{{ExecutionName}}"]
    );
    assert_eq!(jar(3).jar(), Some("s3://jobs-bucket/app.jar"));
    assert_eq!(jar(3).main_class(), Some("com.x.Main"));
    assert_eq!(jar(3).args(), ["a"]);
    let properties: Vec<_> = jar(3)
        .properties()
        .iter()
        .map(|p| (p.key().unwrap(), p.value().unwrap()))
        .collect();
    assert_eq!(properties, [("k", "v")]);
    assert_eq!(
        steps[3].action_on_failure().map(|a| a.as_str()),
        Some("CONTINUE")
    );
    assert!(jar(0).properties().is_empty() && jar(0).main_class().is_none());
}

#[tokio::test]
async fn list_clusters_filters_states_and_follows_pages() {
    // GIVEN two pages of clusters
    let seen = recorder::<ListClustersInput>();
    let record = seen.clone();
    let rule = mock!(Client::list_clusters).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let summary = |id: &str| {
            emr::ClusterSummary::builder()
                .id(id)
                .name(format!("name-{id}"))
                .status(
                    emr::ClusterStatus::builder()
                        .state(emr::ClusterState::Waiting)
                        .build(),
                )
                .build()
        };
        match input.marker() {
            None => ListClustersOutput::builder()
                .clusters(summary("j-1"))
                .marker("page-2")
                .build(),
            Some(_) => ListClustersOutput::builder()
                .clusters(summary("j-2"))
                .build(),
        }
    });
    // WHEN listed for the not-terminated states
    let clusters = SdkEmr::new(client(&[&rule]))
        .list_clusters(
            &emrflow_core::emr::ClusterState::all_where(emrflow_core::emr::ClusterState::exists),
            Some(chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap()),
        )
        .await
        .unwrap();
    // THEN both pages are returned and each request carried the state filter
    let ids: Vec<_> = clusters.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["j-1", "j-2"]);
    assert_eq!(clusters[1].state, "WAITING");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].marker(), Some("page-2"));
    // AND every page asked only for clusters created after the given time
    for request in &requests {
        assert_eq!(
            request.created_after().map(|t| t.secs()),
            Some(1_795_000_000)
        );
    }
    let states: Vec<_> = requests[0]
        .cluster_states()
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        states,
        [
            "STARTING",
            "BOOTSTRAPPING",
            "RUNNING",
            "WAITING",
            "TERMINATING"
        ]
    );
}

#[tokio::test]
async fn list_steps_sends_step_ids_and_reads_failure_details() {
    // GIVEN a failed step on EMR
    let seen = recorder::<ListStepsInput>();
    let record = seen.clone();
    let rule = mock!(Client::list_steps).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        ListStepsOutput::builder()
            .steps(
                emr::StepSummary::builder()
                    .id("s-1")
                    .name("ingest [x]")
                    .action_on_failure(emr::ActionOnFailure::CancelAndWait)
                    .status(
                        emr::StepStatus::builder()
                            .state(emr::StepState::Failed)
                            .failure_details(
                                emr::FailureDetails::builder()
                                    .reason("Unknown Error")
                                    .message("exit 1")
                                    .log_file("s3://l/stderr.gz")
                                    .build(),
                            )
                            .timeline(
                                emr::StepTimeline::builder()
                                    .creation_date_time(aws_smithy_types::DateTime::from_secs(
                                        1_763_769_600,
                                    ))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    // WHEN listed by id
    let steps = SdkEmr::new(client(&[&rule]))
        .list_steps("j-C1", &["s-1".to_string()])
        .await
        .unwrap();
    // THEN the request filters by StepIds and the details are mapped
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(request.cluster_id(), Some("j-C1"));
    assert_eq!(request.step_ids(), ["s-1"]);
    assert_eq!(steps[0].state, "FAILED");
    assert_eq!(
        steps[0].action_on_failure.map(|action| action.as_str()),
        Some("CANCEL_AND_WAIT")
    );
    assert_eq!(steps[0].created_at.as_deref(), Some("2025-11-22T00:00:00Z"));
    let details = steps[0].failure_details.clone().unwrap();
    assert_eq!(details.reason.as_deref(), Some("Unknown Error"));
    assert_eq!(details.log_file.as_deref(), Some("s3://l/stderr.gz"));
}

fn described(id: &str, state: emr::ClusterState, protected: bool) -> DescribeClusterOutput {
    DescribeClusterOutput::builder()
        .cluster(
            emr::Cluster::builder()
                .id(id)
                .name("c")
                .termination_protected(protected)
                .step_concurrency_level(1)
                .status(emr::ClusterStatus::builder().state(state).build())
                .build(),
        )
        .build()
}

#[tokio::test]
async fn termination_protection_sends_set_termination_protection() {
    // GIVEN an unprotected WAITING cluster
    let describe = mock!(Client::describe_cluster)
        .then_output(|| described("j-C1", emr::ClusterState::Waiting, false));
    let seen = recorder::<SetTerminationProtectionInput>();
    let record = seen.clone();
    let set = mock!(Client::set_termination_protection).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        SetTerminationProtectionOutput::builder().build()
    });
    let handlers = Dispatch::new(
        Arc::new(SdkEmr::new(client(&[&describe, &set]))),
        deployment(sample_spec()),
    );
    // WHEN protection is turned on through the handler
    let out = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-C1", "Protected": true}),
        )
        .await
        .unwrap();
    // THEN exactly one SetTerminationProtection(j-C1, true)
    assert_eq!(out["Previous"], false);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].job_flow_ids(), ["j-C1"]);
    assert_eq!(requests[0].termination_protected(), Some(true));
}

#[tokio::test]
async fn terminate_cluster_sends_terminate_job_flows() {
    // GIVEN an unprotected RUNNING cluster
    let describe = mock!(Client::describe_cluster)
        .then_output(|| described("j-C1", emr::ClusterState::Running, false));
    let seen = recorder::<TerminateJobFlowsInput>();
    let record = seen.clone();
    let terminate = mock!(Client::terminate_job_flows).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        TerminateJobFlowsOutput::builder().build()
    });
    let handlers = Dispatch::new(
        Arc::new(SdkEmr::new(client(&[&describe, &terminate]))),
        deployment(sample_spec()),
    );
    // WHEN terminated through the handler
    let out = handlers
        .invoke(
            Function::TerminateCluster,
            json!({"ClusterId": "j-C1", "ExecutionName": EXECUTION, "PipelineName": "daily-etl", "TerminateCluster": true}),
        )
        .await
        .unwrap();
    // THEN one TerminateJobFlows for j-C1
    assert_eq!(out["Terminated"], true);
    assert_eq!(seen.lock().unwrap()[0].job_flow_ids(), ["j-C1"]);
    assert_eq!(terminate.num_calls(), 1);
}

#[tokio::test]
async fn throttling_is_emr_throttled() {
    // GIVEN EMR answers ThrottlingException
    let rule = mock!(Client::run_job_flow).then_error(|| {
        RunJobFlowError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    // WHEN a cluster is launched THEN EmrThrottled carrying EMR's message
    let error = SdkEmr::new(client(&[&rule]))
        .run_job_flow(&sample_spec().cluster_launch(EXECUTION))
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::EmrThrottled);
    assert!(error.to_string().contains("Rate exceeded"), "{error}");
}

#[tokio::test]
async fn validation_exception_is_request_rejected_with_emrs_message() {
    // GIVEN EMR rejects the request
    let rule = mock!(Client::run_job_flow).then_error(|| {
        RunJobFlowError::generic(
            ErrorMetadata::builder()
                .code("ValidationException")
                .message("The instance type c9.huge is not supported")
                .build(),
        )
    });
    // WHEN a cluster is launched THEN AwsRequestRejected with that message
    let error = SdkEmr::new(client(&[&rule]))
        .run_job_flow(&sample_spec().cluster_launch(EXECUTION))
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::AwsRequestRejected);
    assert!(
        error.to_string().contains("c9.huge is not supported"),
        "{error}"
    );
}

#[tokio::test]
async fn invalid_request_for_an_unknown_cluster_is_request_rejected_then_cluster_not_found() {
    // GIVEN EMR does not know the cluster
    let rule = mock!(Client::describe_cluster).then_error(|| {
        DescribeClusterError::InvalidRequestException(
            InvalidRequestException::builder()
                .error_code("InvalidRequestException")
                .message("Cluster id 'j-NOPE' is not valid.")
                .meta(
                    ErrorMetadata::builder()
                        .code("InvalidRequestException")
                        .message("Cluster id 'j-NOPE' is not valid.")
                        .build(),
                )
                .build(),
        )
    });
    let emr = Arc::new(SdkEmr::new(client(&[&rule])));
    // WHEN the adapter describes it THEN AwsRequestRejected with EMR's message
    let error = emr.describe_cluster("j-NOPE").await.unwrap_err();
    assert_eq!(error.name(), ErrorName::AwsRequestRejected);
    assert!(error.to_string().contains("is not valid"), "{error}");
    // AND WHEN a handler looks it up THEN ClusterNotFound
    let handlers = Dispatch::new(emr, deployment(sample_spec()));
    let error = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-NOPE", "Protected": false}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::ClusterNotFound);
}

#[tokio::test]
async fn http_500_is_aws_transient() {
    // GIVEN EMR answers 500
    let rule = mock!(Client::describe_cluster).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(500).unwrap(),
            SdkBody::from(r#"{"__type":"InternalServerError","message":"oops"}"#),
        )
    });
    // WHEN described THEN AwsTransient
    let error = SdkEmr::new(client(&[&rule]))
        .describe_cluster("j-C1")
        .await
        .unwrap_err();
    assert_eq!(error.name(), ErrorName::AwsTransient, "{error}");
}

#[test]
fn timeouts_and_dispatch_failures_are_aws_transient() {
    // GIVEN a dispatch (IO) failure and a timeout WHEN classified THEN AwsTransient
    let dispatch: SdkError<RunJobFlowError, HttpResponse> =
        SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
    let error = classify_sdk_error("RunJobFlow", ENDPOINT, dispatch);
    assert_eq!(error.name(), ErrorName::AwsTransient);
    assert!(error.to_string().contains("connection refused"), "{error}");
    let timeout: SdkError<RunJobFlowError, HttpResponse> = SdkError::timeout_error("took too long");
    assert_eq!(
        classify_sdk_error("RunJobFlow", ENDPOINT, timeout).name(),
        ErrorName::AwsTransient
    );
}

const ENDPOINT: &str = "the EMR endpoint http://127.0.0.1:9";

#[test]
fn a_refused_connection_is_said_in_words_never_as_debug_output() {
    // GIVEN the IO error a closed port gives, wrapped as the SDK wraps it
    let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    let dispatch: SdkError<RunJobFlowError, HttpResponse> =
        SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
    // WHEN classified
    let error = classify_sdk_error("DescribeCluster", ENDPOINT, dispatch);
    // THEN the message names the operation, the endpoint and the reason, and nothing of Rust's
    assert_eq!(
        error.to_string(),
        "DescribeCluster: could not connect to the EMR endpoint http://127.0.0.1:9: connection refused"
    );
    for debug_marker in ["Some(", "ConnectorError", "kind:", "{"] {
        assert!(!error.to_string().contains(debug_marker), "{error}");
    }
}

#[tokio::test]
async fn list_steps_with_more_than_ten_ids_lists_all_and_keeps_the_wanted_ones() {
    // GIVEN 12 wanted ids (EMR's StepIds filter takes at most 10) and a cluster with 13 steps
    let seen = recorder::<ListStepsInput>();
    let record = seen.clone();
    let rule = mock!(Client::list_steps).then_compute_output(move |input| {
        record.lock().unwrap().push(input.clone());
        let steps = (0..13).map(|i| {
            emr::StepSummary::builder()
                .id(format!("s-{i}"))
                .name(format!("n{i}"))
                .status(
                    emr::StepStatus::builder()
                        .state(emr::StepState::Pending)
                        .build(),
                )
                .build()
        });
        ListStepsOutput::builder()
            .set_steps(Some(steps.collect()))
            .build()
    });
    let wanted: Vec<String> = (0..12).map(|i| format!("s-{i}")).collect();
    // WHEN listed
    let steps = SdkEmr::new(client(&[&rule]))
        .list_steps("j-C1", &wanted)
        .await
        .unwrap();
    // THEN one unfiltered request, and only the 12 wanted steps come back
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].step_ids().is_empty());
    assert_eq!(steps.len(), 12);
    assert!(steps.iter().all(|s| s.id != "s-12"));
}

/// A client that retries as the Lambda's does (the SDK's standard mode), quickly.
fn retrying_client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_emr, RuleMode::MatchAny, rules, |config| config
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(1))
        ))
}

#[tokio::test]
async fn run_job_flow_is_sent_once_even_when_the_sdk_would_retry() {
    // GIVEN EMR answers 500 to RunJobFlow (it may have created the cluster anyway), then 200
    let rule = mock!(Client::run_job_flow)
        .sequence()
        .http_status(500, None)
        .output(|| RunJobFlowOutput::builder().job_flow_id("j-SECOND").build())
        .build();
    // WHEN the adapter launches a cluster with a retrying client
    let error = SdkEmr::new(retrying_client(&[&rule]))
        .run_job_flow(&sample_spec().cluster_launch(EXECUTION))
        .await
        .unwrap_err();
    // THEN the call went out once and the handler sees a transient error to look after
    assert_eq!(
        rule.num_calls(),
        1,
        "RunJobFlow was resent: a second cluster"
    );
    assert_eq!(error.name(), ErrorName::AwsTransient, "{error}");
}

#[tokio::test]
async fn add_job_flow_steps_is_sent_once_even_when_the_sdk_would_retry() {
    let rule = mock!(Client::add_job_flow_steps)
        .sequence()
        .http_status(500, None)
        .output(|| {
            AddJobFlowStepsOutput::builder()
                .step_ids("s-SECOND")
                .build()
        })
        .build();
    let steps = compile_steps(&sample_spec());
    let error = SdkEmr::new(retrying_client(&[&rule]))
        .add_job_flow_steps("j-C1", &steps)
        .await
        .unwrap_err();
    assert_eq!(
        rule.num_calls(),
        1,
        "AddJobFlowSteps was resent: duplicate steps"
    );
    assert_eq!(error.name(), ErrorName::AwsTransient, "{error}");
}

#[tokio::test]
async fn reads_keep_the_sdk_retries() {
    // GIVEN DescribeCluster answers 500 once, then the cluster
    let rule = mock!(Client::describe_cluster)
        .sequence()
        .http_status(500, None)
        .output(|| {
            DescribeClusterOutput::builder()
                .cluster(
                    emr::Cluster::builder()
                        .id("j-C1")
                        .name("c")
                        .status(
                            emr::ClusterStatus::builder()
                                .state(emr::ClusterState::Waiting)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
        .build();
    // WHEN described THEN the SDK retried it and it succeeded
    let cluster = SdkEmr::new(retrying_client(&[&rule]))
        .describe_cluster("j-C1")
        .await
        .unwrap();
    assert_eq!(cluster.state, "WAITING");
    assert_eq!(rule.num_calls(), 2);
}

/// Every step of `spec` compiled to EMR's StepConfig, in spec order.
fn compile_steps(spec: &PipelineSpec) -> Vec<emrflow_core::emr::StepConfig> {
    spec.steps
        .iter()
        .map(|step| step.compile(EXECUTION, REGION))
        .collect()
}
