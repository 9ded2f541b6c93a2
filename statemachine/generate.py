#!/usr/bin/env python3
"""The state machine definition, written once: `emrflow.asl.json` is generated from this file
so that the retry policies, the cleanup path and the Execution parameters exist in one place.

    python3 statemachine/generate.py          # rewrite statemachine/emrflow.asl.json
    python3 statemachine/generate.py --check  # exit 1 if the JSON differs (make test runs it)

The states are listed in the order they run: the happy path, then cleanup. Each is built by
a helper that shows its shape (`task`, `choice` with `when` rules, `wait`, `pass_state`,
`fail`). The JSON keeps the key order the helpers write, and `--check` compares bytes, so a
helper's key order is part of the definition.
"""
import json
import sys
from pathlib import Path

# --- Retry and Catch -------------------------------------------------------------------------

# The Lambda service's own transient errors, retried on every Task, and States.Timeout: a
# Task's attempt that passed its TimeoutSeconds is worth another try.
LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "States.Timeout",
]


def retrier(errors, interval, attempts, max_delay, jitter=False):
    """One Retry rule. The back-off doubles at every attempt, up to `max_delay` seconds."""
    rule = {
        "ErrorEquals": errors,
        "IntervalSeconds": interval,
        "MaxAttempts": attempts,
        "BackoffRate": 2.0,
        "MaxDelaySeconds": max_delay,
    }
    if jitter:
        rule["JitterStrategy"] = "FULL"
    return rule


RETRY = [
    retrier(LAMBDA_ERRORS, 2, 6, 60),
    # Throttling is EMR saying "later": keep going for about two hours, jittered so that
    # executions throttled together do not come back together.
    retrier(["EmrThrottled"], 5, 50, 300, jitter=True),
    retrier(["AwsTransient"], 5, 8, 300, jitter=True),
]

# Cleanup outlasts an EMR outage: about 50 minutes of deterministic back-off, whether the
# outage shows as AwsTransient (the SDK's timeouts) or as States.Timeout.
CLEANUP_RETRY = [
    retrier([error for error in LAMBDA_ERRORS if error != "States.Timeout"], 2, 6, 60),
    retrier(["EmrThrottled"], 10, 50, 300, jitter=True),
    retrier(["AwsTransient", "States.Timeout"], 10, 14, 300),
]


def catch(errors, result_path, next_state):
    return {"ErrorEquals": errors, "ResultPath": result_path, "Next": next_state}


# --- States ----------------------------------------------------------------------------------

# Where every failure after Validate_Input goes: its cause put in words, then cleanup.
CLEANUP = "Failure_In_Words"


def task(comment, function, parameters, result_path, next_state,
         on_error=CLEANUP, error_path="$.Failure", retry=RETRY):
    """A Lambda call of at most 120 s an attempt, retried by `retry`; any error left over
    goes to `on_error` with {Error, Cause} at `error_path`."""
    return {
        "Type": "Task",
        "Comment": comment,
        "Resource": function,
        "Parameters": parameters,
        "ResultPath": result_path,
        "TimeoutSeconds": 120,
        "Retry": retry,
        "Catch": [catch(["States.ALL"], error_path, on_error)],
        "Next": next_state,
    }


def cleanup_task(comment, function, parameters, result_path, next_state):
    """A cleanup Task: retried through an EMR outage, and never the end of cleanup: its own
    error is kept apart ($.CleanupFailure) so the run's first error ($.Failure) survives."""
    return task(comment, function, parameters, result_path, next_state,
                on_error=next_state, error_path="$.CleanupFailure", retry=CLEANUP_RETRY)


def choice(comment, rules, default):
    state = {"Type": "Choice"}
    if comment:
        state["Comment"] = comment
    state["Choices"] = rules
    state["Default"] = default
    return state


def when(condition, next_state):
    """A top-level Choice rule: `condition` (a test or `all_of`), then where to go."""
    return {**condition, "Next": next_state}


def all_of(*conditions):
    return {"And": list(conditions)}


def is_true(variable):
    return {"Variable": variable, "BooleanEquals": True}


def is_false(variable):
    return {"Variable": variable, "BooleanEquals": False}


def equals(variable, text):
    return {"Variable": variable, "StringEquals": text}


def is_not_text(variable):
    return {"Variable": variable, "IsString": False}


def matches(variable, pattern):
    return {"Variable": variable, "StringMatches": pattern}


def any_of(*conditions):
    return {"Or": list(conditions)}


def present(variable):
    return {"Variable": variable, "IsPresent": True}


def absent(variable):
    return {"Variable": variable, "IsPresent": False}


def wait(comment, seconds_path, next_state):
    return {"Type": "Wait", "Comment": comment, "SecondsPath": seconds_path, "Next": next_state}


def fail(comment, error_path, cause_path):
    return {"Type": "Fail", "Comment": comment, "ErrorPath": error_path, "CausePath": cause_path}


def states_format(template, *arguments):
    """States.Format('template', arg, …): the template in single quotes, as ASL wants it."""
    return f"States.Format('{template}', {', '.join(arguments)})"


def cleanup_failed(comment, cause_template, *arguments):
    """A Pass that replaces $.Failure with CleanupFailed, whose cause says what may be left
    and the commands to finish by hand, then names both errors, in words (`in_words` ran on
    both): cleanup's and the run's."""
    cause = cause_template + " (cleanup error: {}: {}; the run had failed with: {}: {})"
    errors = [
        "$.CleanupFailure.Error",
        "$.CleanupFailure.Cause",
        "$.Failure.Error",
        "$.Failure.Cause",
    ]
    return {
        "Type": "Pass",
        "Comment": comment,
        "Parameters": {
            "Error": "CleanupFailed",
            "Cause.$": states_format(cause, *arguments, *errors),
        },
        "ResultPath": "$.Failure",
        "Next": "Execution_Failed",
    }


# A Lambda function's error reaches Catch with Lambda's error payload as its Cause, JSON text:
# {"errorType": …, "errorMessage": …} (keys in this order on AWS; sorted, errorMessage first,
# from other runtimes and the local runner). Lambda's service errors and the States.* errors
# have a plain-text Cause. A person reads the message, so `in_words` replaces a payload with
# its errorMessage and lets any other text through. A Pass cannot Catch: a failing intrinsic
# there would end the execution with States.Runtime and no cleanup. So only text shaped like
# the payload (a string errorMessage, a closing brace) reaches States.StringToJson, and a
# missing or non-text Cause is named as such.
LAMBDA_PAYLOADS = ['{"errorType":*"errorMessage":"*}', '{"errorMessage":"*}']


def in_words(name, error_path, next_state):
    """The states that put the Cause of the {Error, Cause} at `error_path` in words, then go
    to `next_state`; the first is `{name}_In_Words`."""
    cause = error_path + ".Cause"
    return {
        f"{name}_In_Words": choice(
            "Lambda's error payload becomes its errorMessage; any other text stays as it is.",
            [
                when(absent(cause), f"{name}_Without_Cause"),
                when(is_not_text(cause), f"{name}_Without_Cause"),
                when(
                    any_of(*(matches(cause, pattern) for pattern in LAMBDA_PAYLOADS)),
                    f"{name}_Parse_Lambda_Error",
                ),
            ],
            default=next_state,
        ),
        f"{name}_Parse_Lambda_Error": {
            "Type": "Pass",
            "Comment": "The payload's JSON, beside the error.",
            "Parameters": {"Payload.$": f"States.StringToJson({cause})"},
            "ResultPath": error_path + ".Lambda",
            "Next": f"{name}_Lambda_Message",
        },
        f"{name}_Lambda_Message": {
            "Type": "Pass",
            "Comment": "The error, with the payload's errorMessage as its cause.",
            "Parameters": {
                "Error.$": error_path + ".Error",
                "Cause.$": error_path + ".Lambda.Payload.errorMessage",
            },
            "ResultPath": error_path,
            "Next": next_state,
        },
        f"{name}_Without_Cause": {
            "Type": "Pass",
            "Comment": "The error came without a cause in text: say so.",
            "Parameters": {"Error.$": error_path + ".Error", "Cause": "no cause was given"},
            "ResultPath": error_path,
            "Next": next_state,
        },
    }


# What the Lambdas that make or look at this execution's cluster and steps are told about it.
EXECUTION = {
    "Input.$": "$$.Execution.Input",
    "Name.$": "$$.Execution.Name",
    "StartTime.$": "$$.Execution.StartTime",
    "PipelineDigest.$": "$.PipelineDigest",
}
CLUSTER_ID = "$.Cluster.ClusterId"
TERMINATE = {
    "ExecutionName.$": "$.ExecutionName",
    "PipelineName.$": "$.PipelineName",
    "TerminateCluster": True,
}

STATES = {}

# --- The run ---------------------------------------------------------------------------------

STATES["Validate_Input"] = task(
    "Checks the execution input and the pipeline spec (EMR's limits and the worst-case state "
    "size included) before anything exists; keeps only a small summary in the state.",
    "${ValidateInputFunctionArn}",
    {
        "Input.$": "$$.Execution.Input",
        "ExecutionName.$": "$$.Execution.Name",
        "StartTime.$": "$$.Execution.StartTime",
    },
    "$", "Check_Start_Conditions",
    # Nothing exists yet: a rejected input ends the execution, no cleanup needed.
    on_error="Input_Rejected", error_path="$",
)
# Before any cluster exists: the run queues behind earlier runs of its pipeline
# (MaxConcurrentRuns) and waits for its WaitFor objects. A refusal ends in Not_Started: there
# is nothing to clean up.
STATES["Check_Start_Conditions"] = task(
    "May this run start? Its place among the pipeline's running executions (MaxConcurrentRuns; "
    "Step Functions' own list, oldest first) and its WaitFor objects. Raises PipelineBusy or "
    "InputNotReady past their deadlines; no cluster exists yet.",
    "${CheckStartFunctionArn}",
    {
        "Execution": EXECUTION,
        "ExecutionId.$": "$$.Execution.Id",
        "CheckTime.$": "$$.State.EnteredTime",
    },
    "$.StartCheck", "Ready_To_Start",
    on_error="Not_Started_In_Words",
)
STATES["Ready_To_Start"] = choice(
    "Go, or wait: for earlier runs (a timer), or for the input data (S3's events, or a timer "
    "near the deadline).",
    [
        when(equals("$.StartCheck.Verdict", "GO"), "Should_Create_Cluster"),
        when(equals("$.StartCheck.WaitingFor", "EARLIER_RUNS"), "Wait_For_Earlier_Runs"),
        when(equals("$.StartCheck.WakeOn", "EVENTS"), "Wait_For_Input_Data_Events"),
    ],
    default="Wait_For_Input_Data",
)
STATES["Wait_For_Earlier_Runs"] = wait(
    "Earlier runs of this pipeline are still going (MaxConcurrentRuns): look again after "
    "NextCheckSeconds.",
    "$.StartCheck.NextCheckSeconds", "Check_Start_Conditions",
)
STATES["Wait_For_Input_Data"] = wait(
    "A WaitFor object is missing and its deadline is near (or the event wait failed): look "
    "again after NextCheckSeconds.",
    "$.StartCheck.NextCheckSeconds", "Check_Start_Conditions",
)
# A callback Task like Wait_For_Step_Events: S3's events wake it, the heartbeat is the slow
# poll under a lost event or a bucket without EventBridge notifications.
STATES["Wait_For_Input_Data_Events"] = {
    "Type": "Task",
    "Comment": "Waits for S3's Object Created events on the missing WaitFor objects: "
    "await-data records this task's token per object (and answers at once if they are all "
    "there); emr-events answers it when one is created. The heartbeat is the slow poll under "
    "a lost event or a bucket without EventBridge notifications.",
    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {
        "FunctionName": "${AwaitDataFunctionArn}",
        "Payload": {
            "TaskToken.$": "$$.Task.Token",
            "Execution": EXECUTION,
            "HeartbeatSeconds": 1800,
        },
    },
    "ResultPath": None,
    "Retry": RETRY,
    "Catch": [
        catch(["States.HeartbeatTimeout"], None, "Check_Start_Conditions"),
        catch(["States.ALL"], "$.DataWaitFailure", "Wait_For_Input_Data"),
    ],
    "Next": "Check_Start_Conditions",
    "HeartbeatSeconds": 1800,
}
STATES["Should_Create_Cluster"] = choice(
    "Create a new cluster, or reuse ClusterId.",
    [
        when(is_true("$.CreateCluster"), "Create_A_Cluster"),
        when(is_false("$.CreateCluster"), "Check_Existing_Cluster"),
    ],
    default="Create_A_Cluster",
)
STATES["Create_A_Cluster"] = task(
    "RunJobFlow from the pipeline spec, named and tagged with this execution; a retry finds "
    "the cluster already created.",
    "${EnsureClusterFunctionArn}",
    {
        "CreateCluster": True,
        "ClusterId": None,
        "Execution": EXECUTION,
        "RetryCount.$": "$$.State.RetryCount",
        "RedriveCount.$": "$$.Execution.RedriveCount",
    },
    "$.Cluster", "Enable_Termination_Protection",
)
STATES["Check_Existing_Cluster"] = task(
    "The reused cluster must exist and be STARTING, BOOTSTRAPPING, RUNNING or WAITING.",
    "${EnsureClusterFunctionArn}",
    {"CreateCluster": False, "ClusterId.$": "$.ClusterId", "Execution": EXECUTION},
    "$.Cluster", "Enable_Termination_Protection",
)
STATES["Enable_Termination_Protection"] = task(
    "Protects the cluster from an accidental termination while the pipeline runs.",
    "${TerminationProtectionFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, "Protected": True},
    "$.Protection", "Submit_Pipeline_Steps",
)
STATES["Submit_Pipeline_Steps"] = task(
    "AddJobFlowSteps with every step that is ready (all of a list pipeline; a graph's as its "
    "dependencies end). Step names carry the execution and the attempt, so a retry adds no "
    "duplicate.",
    "${AddStepsFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, "Execution": EXECUTION},
    "$.Submitted", "Check_Steps",
)
STATES["Check_Steps"] = task(
    "One look at the cluster and this execution's steps: cancels timed-out attempts, applies "
    "ActionOnFailure across a graph, and answers FAILED, with every step's report, for a "
    "failed run (after every step that can still run has run) or steps still running after "
    "MaxRunMinutes.",
    "${CheckStepsFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, "Execution": EXECUTION, "CheckTime.$": "$$.State.EnteredTime"},
    "$.Check", "Steps_Finished",
)
STATES["Steps_Finished"] = choice(
    "Failed (to cleanup), done (terminate or keep the cluster), steps to submit, or wait: for "
    "EMR's events, or a timer.",
    [
        when(equals("$.Check.Verdict", "FAILED"), "Pipeline_Failed"),
        when(
            all_of(equals("$.Check.Verdict", "COMPLETED"), is_true("$.TerminateCluster")),
            "Disable_Termination_Protection",
        ),
        when(equals("$.Check.Verdict", "COMPLETED"), "Restore_Termination_Protection"),
        when(equals("$.Check.Verdict", "SUBMIT"), "Submit_Pipeline_Steps"),
        when(equals("$.Check.WakeOn", "EVENTS"), "Wait_For_Step_Events"),
    ],
    default="Wait_For_Steps",
)
STATES["Pipeline_Failed"] = {
    "Type": "Pass",
    "Comment": "check-steps judged the run failed; its output keeps every step's report. "
    "Cleanup gets the error and cause (in words already) as it gets a caught one.",
    "Parameters": {"Error.$": "$.Check.Error", "Cause.$": "$.Check.Cause"},
    "ResultPath": "$.Failure",
    "Next": "Cleanup_Restore_Protection_Needed",
}
STATES["Wait_For_Steps"] = wait(
    "check-steps says how long to wait before the next look (polling, or a retry or timeout "
    "falling due).",
    "$.Check.NextCheckSeconds", "Check_Steps",
)
# A callback Task: no TimeoutSeconds (a step may run for hours), but a heartbeat: check-steps'
# next deadline (a step's TimeoutSeconds, a retry, MaxRunMinutes; at most an hour, the net for
# a lost event). Any failure of the event wait falls back to the timer.
STATES["Wait_For_Step_Events"] = {
    "Type": "Task",
    "Comment": "Waits for EMR's step and cluster events: await-steps records this task's token "
    "(and answers at once if a step already ended); emr-events answers it when a step of this "
    "execution ends or the cluster goes away. A lost event costs at most one heartbeat: then "
    "the execution looks by itself.",
    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {
        "FunctionName": "${AwaitStepsFunctionArn}",
        "Payload": {
            "TaskToken.$": "$$.Task.Token",
            "ClusterId.$": CLUSTER_ID,
            "ExecutionName.$": "$.ExecutionName",
            "Outstanding.$": "$.Check.Outstanding",
        },
    },
    "ResultPath": None,
    "Retry": RETRY,
    "Catch": [
        catch(["States.HeartbeatTimeout"], None, "Check_Steps"),
        catch(["States.ALL"], "$.EventWaitFailure", "Wait_For_Steps"),
    ],
    "Next": "Check_Steps",
    "HeartbeatSecondsPath": "$.Check.NextCheckSeconds",
}
STATES["Disable_Termination_Protection"] = task(
    "The cluster is to be terminated: protection off, as the documented flow does before "
    "Terminate_Cluster.",
    "${TerminationProtectionFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, "Protected": False},
    None, "Should_Terminate_Cluster",
)
STATES["Restore_Termination_Protection"] = task(
    "The cluster is kept: protection gets back the value it had before this execution (off "
    "for a cluster it created, the owner's setting for a reused one).",
    "${TerminationProtectionFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, "Protected.$": "$.Cluster.TerminationProtected"},
    None, "Should_Terminate_Cluster",
)
STATES["Should_Terminate_Cluster"] = choice(
    None,
    [
        when(is_true("$.TerminateCluster"), "Terminate_Cluster"),
        when(is_false("$.TerminateCluster"), "Keep_Cluster"),
    ],
    default="Keep_Cluster",
)
STATES["Terminate_Cluster"] = task(
    "TerminateJobFlows; a cluster already terminating or terminated counts as done.",
    "${TerminateClusterFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, **TERMINATE},
    "$.Termination", "Wrapping_Up",
)
STATES["Keep_Cluster"] = {
    "Type": "Pass",
    "Comment": "TerminateCluster is false: the cluster keeps running.",
    "Result": {
        "ClusterId": None,
        "Terminated": False,
        "State": None,
        "Note": "TerminateCluster is false: the cluster was left running.",
    },
    "ResultPath": "$.Termination",
    "Next": "Wrapping_Up",
}
STATES["Wrapping_Up"] = {
    "Type": "Pass",
    "Comment": "The execution output: the cluster, every step (SKIPPED included) with its "
    "attempts, states and logs, whether the cluster was terminated, and what the run cost.",
    "Parameters": {
        "ClusterId.$": CLUSTER_ID,
        "ClusterName.$": "$.Cluster.ClusterName",
        "ClusterCreated.$": "$.Cluster.Created",
        "ClusterTerminated.$": "$.Termination.Terminated",
        "TerminationNote.$": "$.Termination.Note",
        "ProcessingDate.$": "$.ProcessingDate",
        "Pipeline.$": "$.PipelineName",
        "Steps.$": "$.Check.Steps",
        "Cost.$": "$.Check.Cost",
    },
    "End": True,
}

# --- Cleanup: every failure after Validate_Input -----------------------------------------------

# The run's error in words first: Execution_Failed shows it, and CleanupFailed quotes it.
STATES.update(in_words("Failure", "$.Failure", "Cleanup_Restore_Protection_Needed"))

STATES["Cleanup_Restore_Protection_Needed"] = choice(
    "Cleanup starts here: is there a cluster whose protection this execution may have changed?",
    [when(present(CLUSTER_ID), "Cleanup_Restore_Protection")],
    default="Cleanup_Should_Terminate_Cluster",
)
STATES["Cleanup_Restore_Protection"] = cleanup_task(
    "Gives termination protection back its earlier value, so the cluster can be terminated (or "
    "is left as its owner had it). Retries for about 50 minutes of EMR outage.",
    "${TerminationProtectionFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, "Protected.$": "$.Cluster.TerminationProtected"},
    None, "Cleanup_Should_Terminate_Cluster",
)
# A cluster this execution created and is to terminate: known by its id, or (when
# RunJobFlow's response was lost) found by its name.
CREATED_TO_TERMINATE = [is_true("$.CreateCluster"), is_true("$.TerminateCluster")]
STATES["Cleanup_Should_Terminate_Cluster"] = choice(
    "Only a cluster this execution created, and only when TerminateCluster is true.",
    [
        when(all_of(*CREATED_TO_TERMINATE, present(CLUSTER_ID)), "Cleanup_Terminate_Cluster"),
        when(all_of(*CREATED_TO_TERMINATE), "Cleanup_Terminate_Orphan_Cluster"),
    ],
    default="Cleanup_Outcome",
)
STATES["Cleanup_Terminate_Cluster"] = cleanup_task(
    "Terminates the cluster this execution created. Retries for about 50 minutes of EMR "
    "outage.",
    "${TerminateClusterFunctionArn}",
    {"ClusterId.$": CLUSTER_ID, **TERMINATE},
    "$.Cleanup", "Cleanup_Outcome",
)
STATES["Cleanup_Terminate_Orphan_Cluster"] = cleanup_task(
    "The cluster id never reached the state machine (e.g. RunJobFlow's response was lost): "
    "find the cluster this execution created, if any, and terminate it.",
    "${TerminateClusterFunctionArn}",
    {"ClusterId": None, **TERMINATE},
    "$.Cleanup", "Cleanup_Outcome",
)
STATES["Cleanup_Outcome"] = choice(
    "Did cleanup do its job? If not, the execution says so plainly, with the commands to "
    "finish it by hand.",
    [
        when(absent("$.CleanupFailure"), "Execution_Failed"),
        when(
            all_of(present("$.Cleanup.Terminated"), is_true("$.Cleanup.Terminated")),
            "Execution_Failed",
        ),
    ],
    default="Cleanup_Failure_In_Words",
)
STATES.update(in_words("Cleanup_Failure", "$.CleanupFailure", "Cleanup_Failure_Kind"))
STATES["Cleanup_Failure_Kind"] = choice(
    "What cleanup could not finish: terminating the cluster, giving its protection back, or "
    "finding the cluster whose id never reached the state machine.",
    [
        when(
            all_of(present(CLUSTER_ID), *CREATED_TO_TERMINATE),
            "Describe_Cleanup_Failure",
        ),
        when(present(CLUSTER_ID), "Describe_Protection_Restore_Failure"),
    ],
    default="Describe_Orphan_Cleanup_Failure",
)
STATES["Describe_Cleanup_Failure"] = cleanup_failed(
    "Cleanup could not terminate the cluster: name it and how to end it.",
    "cleanup failed: cluster {} may still be running, with termination protection on; "
    "terminate it with: aws emr modify-cluster-attributes --cluster-id {} "
    "--no-termination-protected && aws emr terminate-clusters --cluster-ids {}",
    CLUSTER_ID, CLUSTER_ID, CLUSTER_ID,
)
STATES["Describe_Protection_Restore_Failure"] = cleanup_failed(
    "Cleanup could not give the kept cluster its termination protection back: say which value "
    "to set.",
    "cleanup failed: the termination protection of cluster {} could not be set back to {} "
    "(it may still be on); set it with: aws emr modify-cluster-attributes --cluster-id {} "
    "--termination-protected or --no-termination-protected",
    CLUSTER_ID, "$.Cluster.TerminationProtected", CLUSTER_ID,
)
STATES["Describe_Orphan_Cleanup_Failure"] = cleanup_failed(
    "The cluster's id never reached the state machine and the search for it failed: say how "
    "to find it.",
    "cleanup failed: a cluster this execution created may still be running; find it with: "
    'aws emr list-clusters --active --query "Clusters[?Name==`emrflow-{}-{}`]" '
    "and terminate it",
    "$.PipelineName", "$.ExecutionName",
)
STATES["Execution_Failed"] = fail(
    "Ends with the error that started the cleanup (or CleanupFailed, naming it, when cleanup "
    "could not finish).",
    "$.Failure.Error", "$.Failure.Cause",
)
STATES.update(in_words("Not_Started", "$.Failure", "Not_Started"))
STATES["Not_Started"] = fail(
    "The run did not start and created nothing: earlier runs were still going after "
    "QueueTimeoutMinutes (PipelineBusy), the input data did not arrive in time "
    "(InputNotReady), or the check itself failed.",
    "$.Failure.Error", "$.Failure.Cause",
)
STATES["Input_Rejected"] = fail(
    "The input or the pipeline spec was rejected before anything was created.",
    "$.Error", "$.Cause",
)

DEFINITION = {
    "Comment": "emrflow: the daily ETL on Amazon EMR. Create or reuse a cluster, protect it, "
    "run the pipeline's steps (a list, or a graph with dependencies, retries and timeouts), "
    "unprotect, terminate. Every failure goes through cleanup and ends FAILED with a named "
    "error.",
    "StartAt": "Validate_Input",
    "States": STATES,
}

TARGET = Path(__file__).with_name("emrflow.asl.json")
TEXT = json.dumps(DEFINITION, indent=2, ensure_ascii=False) + "\n"
if "--check" in sys.argv[1:]:
    if TARGET.read_text(encoding="utf-8") != TEXT:
        sys.exit(f"{TARGET} is not what statemachine/generate.py writes: "
                 "run python3 statemachine/generate.py")
else:
    TARGET.write_text(TEXT, encoding="utf-8")
