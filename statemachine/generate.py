#!/usr/bin/env python3
"""The state machine definition, written once: `emrflow.asl.json` is generated from this file
so that the retry policies, the cleanup path and the Execution parameters exist in one place.

    python3 statemachine/generate.py          # rewrite statemachine/emrflow.asl.json
    python3 statemachine/generate.py --check  # exit 1 if the JSON differs (make test runs it)
"""
import json
import sys
from pathlib import Path
LAMBDA_ERRORS = ["Lambda.ServiceException","Lambda.AWSLambdaException","Lambda.SdkClientException","Lambda.TooManyRequestsException","Lambda.Unknown","States.Timeout"]
def retry(cleanup=False):
    if cleanup:
        # Cleanup outlasts an EMR outage: about 50 minutes of deterministic back-off, whether
        # the outage shows as AwsTransient (the SDK's timeouts) or as States.Timeout.
        return [
            {"ErrorEquals": [e for e in LAMBDA_ERRORS if e != "States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.0, "MaxDelaySeconds": 60},
            {"ErrorEquals": ["EmrThrottled"], "IntervalSeconds": 10, "MaxAttempts": 50, "BackoffRate": 2.0, "MaxDelaySeconds": 300, "JitterStrategy": "FULL"},
            {"ErrorEquals": ["AwsTransient", "States.Timeout"], "IntervalSeconds": 10, "MaxAttempts": 14, "BackoffRate": 2.0, "MaxDelaySeconds": 300},
        ]
    return [
        {"ErrorEquals": LAMBDA_ERRORS, "IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": 2.0, "MaxDelaySeconds": 60},
        # Throttling is EMR saying "later": keep going for about two hours, jittered so that
        # executions throttled together do not come back together.
        {"ErrorEquals": ["EmrThrottled"], "IntervalSeconds": 5, "MaxAttempts": 50, "BackoffRate": 2.0, "MaxDelaySeconds": 300, "JitterStrategy": "FULL"},
        {"ErrorEquals": ["AwsTransient"], "IntervalSeconds": 5, "MaxAttempts": 8, "BackoffRate": 2.0, "MaxDelaySeconds": 300, "JitterStrategy": "FULL"},
    ]
EXECUTION = {"Input.$": "$$.Execution.Input", "Name.$": "$$.Execution.Name", "StartTime.$": "$$.Execution.StartTime", "PipelineDigest.$": "$.PipelineDigest"}
def task(comment, resource, params, result_path, nxt, catch_next="Cleanup_Restore_Protection_Needed", catch_path="$.Failure", cleanup=False):
    s = {"Type": "Task", "Comment": comment, "Resource": resource, "Parameters": params, "ResultPath": result_path,
         "TimeoutSeconds": 120, "Retry": retry(cleanup),
         "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": catch_path, "Next": catch_next}]}
    if nxt: s["Next"] = nxt
    return s

S = {}
S["Validate_Input"] = task("Checks the execution input and the pipeline spec (EMR's limits and the worst-case state size included) before anything exists; keeps only a small summary in the state.",
    "${ValidateInputFunctionArn}", {"Input.$": "$$.Execution.Input", "ExecutionName.$": "$$.Execution.Name", "StartTime.$": "$$.Execution.StartTime"},
    "$", "Check_Start_Conditions", catch_next="Input_Rejected", catch_path="$")
# Before any cluster exists: the run queues behind earlier runs of its pipeline
# (MaxConcurrentRuns) and waits for its WaitFor objects. A refusal ends in Not_Started: there
# is nothing to clean up.
S["Check_Start_Conditions"] = task("May this run start? Its place among the pipeline's running executions (MaxConcurrentRuns; Step Functions' own list, oldest first) and its WaitFor objects. Raises PipelineBusy or InputNotReady past their deadlines; no cluster exists yet.",
    "${CheckStartFunctionArn}", {"Execution": EXECUTION, "ExecutionId.$": "$$.Execution.Id", "CheckTime.$": "$$.State.EnteredTime"},
    "$.StartCheck", "Ready_To_Start", catch_next="Not_Started")
S["Ready_To_Start"] = {"Type": "Choice", "Comment": "Go, or wait: for earlier runs (a timer), or for the input data (S3's events, or a timer near the deadline).",
    "Choices": [
        {"Variable": "$.StartCheck.Verdict", "StringEquals": "GO", "Next": "Should_Create_Cluster"},
        {"Variable": "$.StartCheck.WaitingFor", "StringEquals": "EARLIER_RUNS", "Next": "Wait_For_Earlier_Runs"},
        {"Variable": "$.StartCheck.WakeOn", "StringEquals": "EVENTS", "Next": "Wait_For_Input_Data_Events"}],
    "Default": "Wait_For_Input_Data"}
S["Wait_For_Earlier_Runs"] = {"Type": "Wait", "Comment": "Earlier runs of this pipeline are still going (MaxConcurrentRuns): look again after NextCheckSeconds.",
    "SecondsPath": "$.StartCheck.NextCheckSeconds", "Next": "Check_Start_Conditions"}
S["Wait_For_Input_Data"] = {"Type": "Wait", "Comment": "A WaitFor object is missing and its deadline is near (or the event wait failed): look again after NextCheckSeconds.",
    "SecondsPath": "$.StartCheck.NextCheckSeconds", "Next": "Check_Start_Conditions"}
dw = task("Waits for S3's Object Created events on the missing WaitFor objects: await-data records this task's token per object (and answers at once if they are all there); emr-events answers it when one is created. The heartbeat is the slow poll under a lost event or a bucket without EventBridge notifications.",
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    {"FunctionName": "${AwaitDataFunctionArn}", "Payload": {"TaskToken.$": "$$.Task.Token", "Execution": EXECUTION, "HeartbeatSeconds": 1800}},
    None, "Check_Start_Conditions")
del dw["TimeoutSeconds"]
dw["HeartbeatSeconds"] = 1800
dw["Catch"] = [
    {"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": None, "Next": "Check_Start_Conditions"},
    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.DataWaitFailure", "Next": "Wait_For_Input_Data"}]
S["Wait_For_Input_Data_Events"] = dw
S["Should_Create_Cluster"] = {"Type": "Choice", "Comment": "Create a new cluster, or reuse ClusterId.",
    "Choices": [{"Variable": "$.CreateCluster", "BooleanEquals": True, "Next": "Create_A_Cluster"},
                {"Variable": "$.CreateCluster", "BooleanEquals": False, "Next": "Check_Existing_Cluster"}],
    "Default": "Create_A_Cluster"}
S["Create_A_Cluster"] = task("RunJobFlow from the pipeline spec, named and tagged with this execution; a retry finds the cluster already created.",
    "${EnsureClusterFunctionArn}", {"CreateCluster": True, "ClusterId": None, "Execution": EXECUTION, "RetryCount.$": "$$.State.RetryCount", "RedriveCount.$": "$$.Execution.RedriveCount"}, "$.Cluster", "Enable_Termination_Protection")
S["Check_Existing_Cluster"] = task("The reused cluster must exist and be STARTING, BOOTSTRAPPING, RUNNING or WAITING.",
    "${EnsureClusterFunctionArn}", {"CreateCluster": False, "ClusterId.$": "$.ClusterId", "Execution": EXECUTION}, "$.Cluster", "Enable_Termination_Protection")
S["Enable_Termination_Protection"] = task("Protects the cluster from an accidental termination while the pipeline runs.",
    "${TerminationProtectionFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "Protected": True}, "$.Protection", "Submit_Pipeline_Steps")
S["Submit_Pipeline_Steps"] = task("AddJobFlowSteps with every step that is ready (all of a list pipeline; a graph's as its dependencies end). Step names carry the execution and the attempt, so a retry adds no duplicate.",
    "${AddStepsFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "Execution": EXECUTION}, "$.Submitted", "Check_Steps")
S["Check_Steps"] = task("One look at the cluster and this execution's steps: cancels timed-out attempts, applies ActionOnFailure across a graph, and answers FAILED, with every step's report, for a failed run (after every step that can still run has run) or steps still running after MaxRunMinutes.",
    "${CheckStepsFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "Execution": EXECUTION, "CheckTime.$": "$$.State.EnteredTime"}, "$.Check", "Steps_Finished")
S["Steps_Finished"] = {"Type": "Choice", "Comment": "Failed (to cleanup), done (terminate or keep the cluster), steps to submit, or wait: for EMR's events, or a timer.",
    "Choices": [
        {"Variable": "$.Check.Verdict", "StringEquals": "FAILED", "Next": "Pipeline_Failed"},
        {"And": [{"Variable": "$.Check.Verdict", "StringEquals": "COMPLETED"}, {"Variable": "$.TerminateCluster", "BooleanEquals": True}], "Next": "Disable_Termination_Protection"},
        {"Variable": "$.Check.Verdict", "StringEquals": "COMPLETED", "Next": "Restore_Termination_Protection"},
        {"Variable": "$.Check.Verdict", "StringEquals": "SUBMIT", "Next": "Submit_Pipeline_Steps"},
        {"Variable": "$.Check.WakeOn", "StringEquals": "EVENTS", "Next": "Wait_For_Step_Events"}],
    "Default": "Wait_For_Steps"}
S["Pipeline_Failed"] = {"Type": "Pass", "Comment": "check-steps judged the run failed; its output keeps every step's report. Cleanup gets the error and cause as it gets a caught one.",
    "Parameters": {"Error.$": "$.Check.Error", "Cause.$": "$.Check.Cause"}, "ResultPath": "$.Failure", "Next": "Cleanup_Restore_Protection_Needed"}
S["Wait_For_Steps"] = {"Type": "Wait", "Comment": "check-steps says how long to wait before the next look (polling, or a retry or timeout falling due).",
    "SecondsPath": "$.Check.NextCheckSeconds", "Next": "Check_Steps"}
ev = task("Waits for EMR's step and cluster events: await-steps records this task's token (and answers at once if a step already ended); emr-events answers it when a step of this execution ends or the cluster goes away. A lost event costs at most one heartbeat: then the execution looks by itself.",
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    {"FunctionName": "${AwaitStepsFunctionArn}", "Payload": {"TaskToken.$": "$$.Task.Token", "ClusterId.$": "$.Cluster.ClusterId", "ExecutionName.$": "$.ExecutionName", "Outstanding.$": "$.Check.Outstanding"}},
    None, "Check_Steps")
del ev["TimeoutSeconds"]
# Woken by an event, or at the latest when check-steps' next deadline falls due (a step's
# TimeoutSeconds, a retry, MaxRunMinutes; at most an hour: the net for a lost event).
ev["HeartbeatSecondsPath"] = "$.Check.NextCheckSeconds"
ev["Catch"] = [
    {"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": None, "Next": "Check_Steps"},
    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.EventWaitFailure", "Next": "Wait_For_Steps"}]
S["Wait_For_Step_Events"] = ev
S["Disable_Termination_Protection"] = task("The cluster is to be terminated: protection off, as the documented flow does before Terminate_Cluster.",
    "${TerminationProtectionFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "Protected": False}, None, "Should_Terminate_Cluster")
S["Restore_Termination_Protection"] = task("The cluster is kept: protection gets back the value it had before this execution (off for a cluster it created, the owner's setting for a reused one).",
    "${TerminationProtectionFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "Protected.$": "$.Cluster.TerminationProtected"}, None, "Should_Terminate_Cluster")
S["Should_Terminate_Cluster"] = {"Type": "Choice", "Choices": [
        {"Variable": "$.TerminateCluster", "BooleanEquals": True, "Next": "Terminate_Cluster"},
        {"Variable": "$.TerminateCluster", "BooleanEquals": False, "Next": "Keep_Cluster"}], "Default": "Keep_Cluster"}
S["Terminate_Cluster"] = task("TerminateJobFlows; a cluster already terminating or terminated counts as done.",
    "${TerminateClusterFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "ExecutionName.$": "$.ExecutionName", "PipelineName.$": "$.PipelineName", "TerminateCluster": True}, "$.Termination", "Wrapping_Up")
S["Keep_Cluster"] = {"Type": "Pass", "Comment": "TerminateCluster is false: the cluster keeps running.",
    "Result": {"ClusterId": None, "Terminated": False, "State": None, "Note": "TerminateCluster is false: the cluster was left running."},
    "ResultPath": "$.Termination", "Next": "Wrapping_Up"}
S["Wrapping_Up"] = {"Type": "Pass", "Comment": "The execution output: the cluster, every step (SKIPPED included) with its attempts, states and logs, and whether the cluster was terminated.",
    "Parameters": {"ClusterId.$": "$.Cluster.ClusterId", "ClusterName.$": "$.Cluster.ClusterName", "ClusterCreated.$": "$.Cluster.Created",
        "ClusterTerminated.$": "$.Termination.Terminated", "TerminationNote.$": "$.Termination.Note", "ProcessingDate.$": "$.ProcessingDate",
        "Pipeline.$": "$.PipelineName", "Steps.$": "$.Check.Steps"}, "End": True}
S["Cleanup_Restore_Protection_Needed"] = {"Type": "Choice", "Comment": "Cleanup starts here: is there a cluster whose protection this execution may have changed?",
    "Choices": [{"Variable": "$.Cluster.ClusterId", "IsPresent": True, "Next": "Cleanup_Restore_Protection"}], "Default": "Cleanup_Should_Terminate_Cluster"}
S["Cleanup_Restore_Protection"] = task("Gives termination protection back its earlier value, so the cluster can be terminated (or is left as its owner had it). Retries for about 50 minutes of EMR outage.",
    "${TerminationProtectionFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "Protected.$": "$.Cluster.TerminationProtected"}, None,
    "Cleanup_Should_Terminate_Cluster", catch_next="Cleanup_Should_Terminate_Cluster", catch_path="$.CleanupFailure", cleanup=True)
S["Cleanup_Should_Terminate_Cluster"] = {"Type": "Choice", "Comment": "Only a cluster this execution created, and only when TerminateCluster is true.",
    "Choices": [
        {"And": [{"Variable": "$.CreateCluster", "BooleanEquals": True}, {"Variable": "$.TerminateCluster", "BooleanEquals": True}, {"Variable": "$.Cluster.ClusterId", "IsPresent": True}], "Next": "Cleanup_Terminate_Cluster"},
        {"And": [{"Variable": "$.CreateCluster", "BooleanEquals": True}, {"Variable": "$.TerminateCluster", "BooleanEquals": True}], "Next": "Cleanup_Terminate_Orphan_Cluster"}],
    "Default": "Cleanup_Outcome"}
S["Cleanup_Terminate_Cluster"] = task("Terminates the cluster this execution created. Retries for about 50 minutes of EMR outage.",
    "${TerminateClusterFunctionArn}", {"ClusterId.$": "$.Cluster.ClusterId", "ExecutionName.$": "$.ExecutionName", "PipelineName.$": "$.PipelineName", "TerminateCluster": True},
    "$.Cleanup", "Cleanup_Outcome", catch_next="Cleanup_Outcome", catch_path="$.CleanupFailure", cleanup=True)
S["Cleanup_Terminate_Orphan_Cluster"] = task("The cluster id never reached the state machine (e.g. RunJobFlow's response was lost): find the cluster this execution created, if any, and terminate it.",
    "${TerminateClusterFunctionArn}", {"ClusterId": None, "ExecutionName.$": "$.ExecutionName", "PipelineName.$": "$.PipelineName", "TerminateCluster": True},
    "$.Cleanup", "Cleanup_Outcome", catch_next="Cleanup_Outcome", catch_path="$.CleanupFailure", cleanup=True)
S["Cleanup_Outcome"] = {"Type": "Choice", "Comment": "Did cleanup do its job? If not, the execution says so plainly, with the commands to finish it by hand.",
    "Choices": [
        {"Variable": "$.CleanupFailure", "IsPresent": False, "Next": "Execution_Failed"},
        {"And": [{"Variable": "$.Cleanup.Terminated", "IsPresent": True}, {"Variable": "$.Cleanup.Terminated", "BooleanEquals": True}], "Next": "Execution_Failed"},
        {"And": [{"Variable": "$.Cluster.ClusterId", "IsPresent": True}, {"Variable": "$.CreateCluster", "BooleanEquals": True}, {"Variable": "$.TerminateCluster", "BooleanEquals": True}], "Next": "Describe_Cleanup_Failure"},
        {"Variable": "$.Cluster.ClusterId", "IsPresent": True, "Next": "Describe_Protection_Restore_Failure"}],
    "Default": "Describe_Orphan_Cleanup_Failure"}
S["Describe_Cleanup_Failure"] = {"Type": "Pass", "Comment": "Cleanup could not terminate the cluster: name it and how to end it.",
    "Parameters": {"Error": "CleanupFailed", "Cause.$": "States.Format('cleanup failed: cluster {} may still be running, with termination protection on; terminate it with: aws emr modify-cluster-attributes --cluster-id {} --no-termination-protected && aws emr terminate-clusters --cluster-ids {} (cleanup error: {}; the run had failed with: {})', $.Cluster.ClusterId, $.Cluster.ClusterId, $.Cluster.ClusterId, States.JsonToString($.CleanupFailure), States.JsonToString($.Failure))"},
    "ResultPath": "$.Failure", "Next": "Execution_Failed"}
S["Describe_Protection_Restore_Failure"] = {"Type": "Pass", "Comment": "Cleanup could not give the kept cluster its termination protection back: say which value to set.",
    "Parameters": {"Error": "CleanupFailed", "Cause.$": "States.Format('cleanup failed: the termination protection of cluster {} could not be set back to {} (it may still be on); set it with: aws emr modify-cluster-attributes --cluster-id {} --termination-protected or --no-termination-protected (cleanup error: {}; the run had failed with: {})', $.Cluster.ClusterId, $.Cluster.TerminationProtected, $.Cluster.ClusterId, States.JsonToString($.CleanupFailure), States.JsonToString($.Failure))"},
    "ResultPath": "$.Failure", "Next": "Execution_Failed"}
S["Describe_Orphan_Cleanup_Failure"] = {"Type": "Pass", "Comment": "The cluster's id never reached the state machine and the search for it failed: say how to find it.",
    "Parameters": {"Error": "CleanupFailed", "Cause.$": "States.Format('cleanup failed: a cluster this execution created may still be running; find it with: aws emr list-clusters --active --query \"Clusters[?Name==`emrflow-{}-{}`]\" and terminate it (cleanup error: {}; the run had failed with: {})', $.PipelineName, $.ExecutionName, States.JsonToString($.CleanupFailure), States.JsonToString($.Failure))"},
    "ResultPath": "$.Failure", "Next": "Execution_Failed"}
S["Execution_Failed"] = {"Type": "Fail", "Comment": "Ends with the error that started the cleanup (or CleanupFailed, naming it, when cleanup could not finish).", "ErrorPath": "$.Failure.Error", "CausePath": "$.Failure.Cause"}
S["Not_Started"] = {"Type": "Fail", "Comment": "The run did not start and created nothing: earlier runs were still going after QueueTimeoutMinutes (PipelineBusy), the input data did not arrive in time (InputNotReady), or the check itself failed.", "ErrorPath": "$.Failure.Error", "CausePath": "$.Failure.Cause"}
S["Input_Rejected"] = {"Type": "Fail", "Comment": "The input or the pipeline spec was rejected before anything was created.", "ErrorPath": "$.Error", "CausePath": "$.Cause"}
d = {"Comment": "emrflow: the daily ETL on Amazon EMR. Create or reuse a cluster, protect it, run the pipeline's steps (a list, or a graph with dependencies, retries and timeouts), unprotect, terminate. Every failure goes through cleanup and ends FAILED with a named error.",
     "StartAt": "Validate_Input", "States": S}
TARGET = Path(__file__).with_name("emrflow.asl.json")
TEXT = json.dumps(d, indent=2, ensure_ascii=False) + "\n"
if "--check" in sys.argv[1:]:
    if TARGET.read_text(encoding="utf-8") != TEXT:
        sys.exit(f"{TARGET} is not what statemachine/generate.py writes: run python3 statemachine/generate.py")
else:
    TARGET.write_text(TEXT, encoding="utf-8")
