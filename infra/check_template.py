#!/usr/bin/env python3
"""Project-specific checks of infra/template.yaml that cfn-lint and `sam validate` do not do.

(a) every ${Name} in the state machine definition has a DefinitionSubstitutions entry and
    every DefinitionSubstitutions entry is used;
(b) every function in the template is a function crate under functions/ (a folder whose
    Cargo.toml has a [[bin]] section; library crates such as core are ignored) and every
    function crate is deployed;
(c) IAM: no wildcard action, no NotAction, Resource "*" only for actions that have no
    resource-level permissions (listed below with the reason), and every iam:PassRole names
    its roles and carries an iam:PassedToService condition;
(d) checkov: every skip in the template (Metadata checkov.skip, or an inline
    `checkov:skip=ID:reason` comment) gives its reason;
(e) events: the reaper's rule matches this state machine's executions with exactly the
    statuses ABORTED, TIMED_OUT, FAILED; the EMR events rule matches exactly EMR's step end
    states and cluster end states and follows the StepCompletion setting; every function
    an EventBridge rule invokes (asynchronously) has a dead-letter queue, an
    EventInvokeConfig and a Lambda permission scoped to the rule;
(f) the task-token table: PAY_PER_REQUEST with TTL, and every IAM statement with a
    dynamodb action is scoped to the template's table ARN (or one of its indexes);
(g) every pipeline schedule (infra/render_template.py) invokes start-daily with its Name and
    Scheduler's time, in a zone, at its time, with retries and a DLQ, through a role only
    scheduler.amazonaws.com of this account assumes and that may only invoke start-daily and
    send dead letters; start-daily has its DLQ and EventInvokeConfig (invoked asynchronously).
(h) input data: the rule that sends S3's events to emr-events matches exactly "Object
    Created" from aws.s3 in the WaitForBuckets buckets and is enabled only when buckets are
    given; every IAM statement with an s3 action is scoped to those buckets and follows the
    same condition.

With --checkov-report FILE it instead reads checkov's JSON report (`checkov -o json`) and
fails on any failed check, parsing error, skip without a reason or a scan that saw nothing.

Runs with the cfn-lint virtualenv's Python (it uses cfn-lint's YAML loader, which understands
the short intrinsic tags such as !Ref and !Sub). Exit status 0 = clean, 1 = findings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Iterator

from cfnlint.decode import decode

# Actions for which AWS accepts only Resource "*" (no resource-level permissions), with the
# reason shown in the template's comments. Anything else with Resource "*" is a finding.
RESOURCE_STAR_ALLOWED = {
    "elasticmapreduce:listclusters": "list operation, no resource-level permissions",
    "elasticmapreduce:runjobflow": "creates the cluster; scoped with aws:RequestTag instead",
    "pricing:getproducts": "the Price List API has no resource-level permissions",
    "xray:puttracesegments": "X-Ray has no resource-level permissions",
    "xray:puttelemetryrecords": "X-Ray has no resource-level permissions",
    "xray:getsamplingrules": "X-Ray has no resource-level permissions",
    "xray:getsamplingtargets": "X-Ray has no resource-level permissions",
    "logs:createlogdelivery": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:getlogdelivery": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:updatelogdelivery": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:deletelogdelivery": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:listlogdeliveries": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:putresourcepolicy": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:describeresourcepolicies": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "logs:describeloggroups": "CloudWatch Logs vended log delivery (Step Functions logging)",
    "states:sendtasksuccess": "task-token callback, no resource type (the token names the task)",
    "states:sendtaskfailure": "task-token callback, no resource type (the token names the task)",
}

FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
STATE_MACHINE_TYPES = {"AWS::Serverless::StateMachine"}
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
CODE_URI_CRATE = re.compile(r"(?:^|/)target/lambda/([^/]+)/?$")
RULE_TYPES = {"AWS::Events::Rule"}
SCHEDULE_TYPES = {"AWS::Scheduler::Schedule"}
START_DAILY_CRATE = "start-daily"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
SCHEDULER_ACTIONS = {"lambda:invokefunction", "sqs:sendmessage"}
TABLE_TYPES = {"AWS::DynamoDB::Table"}

# The reaper (issue 11) and the EMR event handler (issue 12), by crate name.
REAPER_CRATE = "reap-execution"
EMR_EVENTS_CRATE = "emr-events"
REAPER_STATUSES = {"ABORTED", "TIMED_OUT", "FAILED"}
STEP_EVENT = "EMR Step Status Change"
CLUSTER_EVENT = "EMR Cluster State Change"
# Every state each EMR event can carry, and the end states the rule must match exactly.
EMR_EVENT_STATES = {
    STEP_EVENT: {"PENDING", "CANCEL_PENDING", "RUNNING", "COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED"},
    CLUSTER_EVENT: {"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING", "TERMINATED",
                    "TERMINATED_WITH_ERRORS"},
}
EMR_END_STATES = {
    STEP_EVENT: {"COMPLETED", "FAILED", "CANCELLED"},
    CLUSTER_EVENT: {"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"},
}


def load_template(path: Path) -> dict:
    template, matches = decode(str(path))
    if matches or template is None:
        details = "; ".join(str(match) for match in matches) or "empty template"
        raise ValueError(f"{path}: cannot be parsed: {details}")
    return template


def resources(template: dict) -> Iterator[tuple[str, dict]]:
    for name, resource in (template.get("Resources") or {}).items():
        if isinstance(resource, dict):
            yield name, resource


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# ------------------------------------------------------------------ (a) substitutions


def check_substitutions(template: dict, template_dir: Path) -> list[str]:
    findings = []
    state_machines = [
        (name, res) for name, res in resources(template) if res.get("Type") in STATE_MACHINE_TYPES
    ]
    if not state_machines:
        findings.append("no AWS::Serverless::StateMachine in the template")
    for name, resource in state_machines:
        props = resource.get("Properties") or {}
        uri = props.get("DefinitionUri")
        if not isinstance(uri, str):
            findings.append(f"{name}: DefinitionUri must be a local file path (the repo's ASL)")
            continue
        asl_path = (template_dir / uri).resolve()
        if not asl_path.is_file():
            findings.append(f"{name}: DefinitionUri {uri} -> {asl_path} does not exist")
            continue
        text = asl_path.read_text(encoding="utf-8")
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            findings.append(f"{name}: {asl_path} is not valid JSON: {error}")
        used = set(PLACEHOLDER.findall(text))
        substitutions = props.get("DefinitionSubstitutions") or {}
        provided = set(substitutions) if isinstance(substitutions, dict) else set()
        for missing in sorted(used - provided):
            findings.append(
                f"{name}: ${{{missing}}} is used in {asl_path.name} but has no DefinitionSubstitutions entry"
            )
        for unused in sorted(provided - used):
            findings.append(
                f"{name}: DefinitionSubstitutions entry {unused} is not used in {asl_path.name}"
            )
    return findings


# ------------------------------------------------------------------ (b) functions


def crates(functions_dir: Path) -> set[str]:
    """Function crates: folders under functions/ whose Cargo.toml has a [[bin]] section.
    Library crates (core, vocabulary, lambda, ...) have none and are not functions."""
    found = set()
    for entry in sorted(functions_dir.iterdir()):
        manifest = entry / "Cargo.toml"
        if not (entry.is_dir() and manifest.is_file()):
            continue
        try:
            bins = tomllib.loads(manifest.read_text(encoding="utf-8")).get("bin")
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{manifest}: not valid TOML: {error}") from error
        if isinstance(bins, list) and bins:
            found.add(entry.name)
    return found


def function_name_text(value: Any) -> str | None:
    """FunctionName as text: a plain string or the string of an Fn::Sub."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else (sub[0] if sub and isinstance(sub[0], str) else None)
    return None


def check_functions(template: dict, functions_dir: Path) -> list[str]:
    findings = []
    deployed: dict[str, str] = {}
    for name, resource in resources(template):
        if resource.get("Type") not in FUNCTION_TYPES:
            continue
        props = resource.get("Properties") or {}
        code_uri = props.get("CodeUri")
        match = CODE_URI_CRATE.search(code_uri) if isinstance(code_uri, str) else None
        if match is None:
            findings.append(
                f"{name}: CodeUri must be the prebuilt ../target/lambda/<crate>/ folder, got {code_uri!r}"
            )
            continue
        crate = match.group(1)
        if crate in deployed:
            findings.append(f"{name}: crate {crate} is already deployed by {deployed[crate]}")
        deployed[crate] = name
        function_name = function_name_text(props.get("FunctionName"))
        if function_name is not None and not function_name.endswith(crate):
            findings.append(
                f"{name}: FunctionName {function_name!r} does not end with its crate name {crate}"
            )
    available = crates(functions_dir)
    for crate in sorted(set(deployed) - available):
        findings.append(
            f"{deployed[crate]}: deploys {crate}, which is not a crate under {functions_dir}"
        )
    for crate in sorted(available - set(deployed)):
        findings.append(f"crate functions/{crate} is not deployed by any function in the template")
    return findings


def function_crates(template: dict) -> dict[str, str]:
    """Logical id of each function -> the crate its CodeUri deploys."""
    found = {}
    for name, resource in resources(template):
        if resource.get("Type") in FUNCTION_TYPES:
            code_uri = (resource.get("Properties") or {}).get("CodeUri")
            match = CODE_URI_CRATE.search(code_uri) if isinstance(code_uri, str) else None
            if match:
                found[name] = match.group(1)
    return found


# ------------------------------------------------------------------ (c) IAM


def policy_statements(node: Any, where: str) -> Iterator[tuple[str, dict]]:
    """Every IAM statement anywhere in the template (roles, policies, queue/topic policies,
    SAM Policies), looking through Fn::If branches."""
    if isinstance(node, dict):
        if "Fn::If" in node and isinstance(node["Fn::If"], list) and len(node["Fn::If"]) == 3:
            for branch in node["Fn::If"][1:]:
                yield from policy_statements(branch, where)
            return
        statements = node.get("Statement")
        if statements is not None and ("Version" in node or isinstance(statements, list)):
            for index, statement in enumerate(as_list(statements)):
                yield from expand_statement(statement, f"{where}.Statement[{index}]")
        for key, value in node.items():
            if key != "Statement":
                yield from policy_statements(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from policy_statements(value, f"{where}[{index}]")


def expand_statement(statement: Any, where: str) -> Iterator[tuple[str, dict]]:
    if isinstance(statement, dict) and "Fn::If" in statement:
        for branch in statement["Fn::If"][1:]:
            yield from expand_statement(branch, where)
    elif isinstance(statement, dict):
        yield where, statement


def resource_texts(resource: Any) -> list[str]:
    """Resource entries as text, with intrinsic functions rendered well enough to see a
    literal "*" (Fn::Sub strings keep their ${...} references)."""
    texts = []
    for entry in as_list(resource):
        if isinstance(entry, str):
            texts.append(entry)
        elif isinstance(entry, dict) and "Fn::Sub" in entry:
            texts.append(function_name_text(entry) or "")
        elif isinstance(entry, dict) and "Fn::If" in entry:
            for branch in entry["Fn::If"][1:]:
                texts.extend(resource_texts(branch))
        else:
            texts.append(json.dumps(entry, default=str, sort_keys=True))
    return texts


def condition_keys(condition: Any) -> dict[str, Any]:
    """Condition block flattened to {key: value} over all operators (Fn::If branches merged)."""
    keys: dict[str, Any] = {}
    if isinstance(condition, dict) and "Fn::If" in condition:
        for branch in condition["Fn::If"][1:]:
            keys.update(condition_keys(branch))
    elif isinstance(condition, dict):
        for operator, block in condition.items():
            if isinstance(block, dict):
                for key, value in block.items():
                    keys[key.lower()] = value
    return keys


def is_principal_policy(statement: dict) -> bool:
    """Resource-based policies (queue/topic/trust) name a Principal; their actions are
    checked for wildcards too, but the identity-policy Resource rules do not apply."""
    return "Principal" in statement or "NotPrincipal" in statement


def check_iam(template: dict) -> list[str]:
    findings = []
    for name, resource in resources(template):
        for where, statement in policy_statements(resource.get("Properties") or {}, name):
            effect = statement.get("Effect", "Allow")
            if "NotAction" in statement:
                findings.append(f"{where}: NotAction grants everything else; list the actions")
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            for action in actions:
                if "*" in action or "?" in action:
                    findings.append(f"{where}: wildcard action {action!r}")
            if effect != "Allow" or is_principal_policy(statement):
                continue
            if "NotResource" in statement:
                findings.append(f"{where}: NotResource on an Allow statement")
            lowered = {action.lower() for action in actions}
            resources_text = resource_texts(statement.get("Resource"))
            if "*" in resources_text:
                needs_scope = sorted(a for a in lowered if a not in RESOURCE_STAR_ALLOWED)
                if needs_scope:
                    findings.append(
                        f"{where}: Resource \"*\" for {', '.join(needs_scope)}, which support "
                        "resource-level permissions"
                    )
            if "iam:passrole" in lowered:
                findings.extend(check_pass_role(where, statement, resources_text))
    return findings


def check_pass_role(where: str, statement: dict, resources_text: list[str]) -> list[str]:
    findings = []
    if not resources_text:
        findings.append(f"{where}: iam:PassRole without a Resource")
    for text in resources_text:
        if "*" in text or ":role/" not in text:
            findings.append(f"{where}: iam:PassRole must name roles (arn:...:role/<name>), got {text!r}")
    passed_to = condition_keys(statement.get("Condition")).get("iam:passedtoservice")
    if not passed_to:
        findings.append(f"{where}: iam:PassRole without an iam:PassedToService condition")
    return findings


# ------------------------------------------------------------------ (d) checkov

INLINE_CHECKOV_SKIP = re.compile(r"checkov:skip=([A-Za-z0-9_]*)(?::(.*))?")


def check_checkov_skips(template: dict, template_text: str) -> list[str]:
    """A skipped security check must say why, in the template, next to the resource."""
    findings = []
    for name, resource in resources(template):
        metadata = resource.get("Metadata")
        checkov = metadata.get("checkov") if isinstance(metadata, dict) else None
        if checkov is None:
            continue
        skips = checkov.get("skip") if isinstance(checkov, dict) else None
        if not isinstance(skips, list):
            findings.append(f"{name}: Metadata checkov must be {{skip: [{{id, comment}}, ...]}}")
            continue
        for index, skip in enumerate(skips):
            if not isinstance(skip, dict) or not str(skip.get("id") or "").strip():
                findings.append(f"{name}: checkov skip #{index + 1} has no id")
                continue
            comment = skip.get("comment")
            if not isinstance(comment, str) or not comment.strip():
                findings.append(
                    f"{name}: checkov skip {skip['id']} has no comment (say in one line why it does not apply)"
                )
    for number, line in enumerate(template_text.splitlines(), start=1):
        for match in INLINE_CHECKOV_SKIP.finditer(line):
            if not match.group(1) or not (match.group(2) or "").strip():
                findings.append(
                    f"line {number}: inline checkov:skip={match.group(1)} has no reason "
                    "(write checkov:skip=<id>:<reason>, or use Metadata checkov.skip with a comment)"
                )
    return findings


def checkov_report_findings(report: Any) -> list[str]:
    """Findings from checkov's JSON report (one framework: an object; several: a list)."""
    reports = report if isinstance(report, list) else [report]
    findings = []
    scanned = 0
    for entry in reports:
        if not isinstance(entry, dict) or "summary" not in entry:
            findings.append("checkov report: not a checkov JSON report (no summary)")
            continue
        summary = entry.get("summary") or {}
        results = entry.get("results") or {}
        scanned += int(summary.get("resource_count") or 0)
        for check in results.get("failed_checks") or []:
            findings.append(
                f"checkov: {check.get('check_id')} failed for {check.get('resource')}: "
                f"{check.get('check_name')} (fix it, or skip it in the template with the reason)"
            )
        for check in results.get("skipped_checks") or []:
            comment = (check.get("check_result") or {}).get("suppress_comment")
            if not isinstance(comment, str) or not comment.strip():
                findings.append(f"checkov: {check.get('check_id')} skipped for {check.get('resource')} without a reason")
        for error in results.get("parsing_errors") or []:
            findings.append(f"checkov: could not parse {error}")
        if summary.get("parsing_errors"):
            findings.append(f"checkov: {summary['parsing_errors']} parsing error(s)")
    if scanned == 0 and not findings:
        findings.append("checkov: no resource was scanned (wrong file or framework?)")
    return findings


def checkov_summary(report: Any) -> list[str]:
    """Human summary: counts, then each skip with its reason (grouped)."""
    lines = []
    for entry in report if isinstance(report, list) else [report]:
        summary = entry.get("summary") or {}
        lines.append(
            f"checkov {summary.get('checkov_version', '?')} ({entry.get('check_type', '?')}): "
            f"{summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed, "
            f"{summary.get('skipped', 0)} skipped on {summary.get('resource_count', 0)} resources"
        )
        grouped: dict[tuple[str, str], list[str]] = {}
        for check in (entry.get("results") or {}).get("skipped_checks") or []:
            key = (str(check.get("check_id")), str((check.get("check_result") or {}).get("suppress_comment")))
            grouped.setdefault(key, []).append(str(check.get("resource", "")).split(".")[-1])
        for (check_id, comment), names in sorted(grouped.items()):
            lines.append(f"  skip {check_id} x{len(names)}: {comment}")
    return lines


def run_checkov_report(path: Path) -> int:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        print(f"check_template: cannot read the checkov report {path}: {error}", file=sys.stderr)
        return 1
    findings = checkov_report_findings(report)
    for finding in findings:
        print(f"check_template: {finding}", file=sys.stderr)
    if findings:
        print(f"check_template: {len(findings)} checkov problem(s)", file=sys.stderr)
        return 1
    print("\n".join(checkov_summary(report)))
    return 0


# ------------------------------------------------------------------ (e) events


def referenced_resource(value: Any) -> str | None:
    """The logical id behind !Ref X / !GetAtt X.Arn (X.Arn as a string too)."""
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return value["Ref"]
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
            return get_att[0]
        if isinstance(get_att, str):
            return get_att.split(".", 1)[0]
    return None


def rules_targeting(template: dict, function: str) -> list[tuple[str, dict]]:
    found = []
    for name, resource in resources(template):
        if resource.get("Type") not in RULE_TYPES:
            continue
        targets = (resource.get("Properties") or {}).get("Targets") or []
        if any(isinstance(t, dict) and referenced_resource(t.get("Arn")) == function for t in targets):
            found.append((name, resource))
    return found


def as_set(value: Any) -> set | None:
    """A pattern's list of plain strings as a set; None if anything else is in it."""
    values = as_list(value)
    return set(values) if values and all(isinstance(v, str) for v in values) else None


def check_reaper_rule(template: dict) -> list[str]:
    findings = []
    state_machines = {
        name for name, res in resources(template) if res.get("Type") in STATE_MACHINE_TYPES
    }
    for function, crate in function_crates(template).items():
        if crate != REAPER_CRATE:
            continue
        rules = rules_targeting(template, function)
        if not rules:
            findings.append(f"{function}: no EventBridge rule invokes the reaper")
        for rule, resource in rules:
            pattern = (resource.get("Properties") or {}).get("EventPattern")
            if not isinstance(pattern, dict):
                findings.append(f"{rule}: the reaper's rule needs an EventPattern")
                continue
            detail = pattern.get("detail") if isinstance(pattern.get("detail"), dict) else {}
            if "$or" in pattern or "$or" in detail:
                findings.append(f"{rule}: keep the reaper's pattern flat (no $or): it is checked as one match")
            if as_set(pattern.get("source")) != {"aws.states"}:
                findings.append(f"{rule}: source must be exactly [aws.states]")
            if as_set(pattern.get("detail-type")) != {"Step Functions Execution Status Change"}:
                findings.append(f"{rule}: detail-type must be exactly [Step Functions Execution Status Change]")
            statuses = as_set(detail.get("status"))
            if statuses != REAPER_STATUSES:
                findings.append(
                    f"{rule}: detail.status must be exactly {sorted(REAPER_STATUSES)}, "
                    f"got {sorted(statuses) if statuses else detail.get('status')!r}"
                )
            machines = as_list(detail.get("stateMachineArn"))
            named = [referenced_resource(m) for m in machines]
            if len(machines) != 1 or named[0] not in state_machines:
                findings.append(
                    f"{rule}: detail.stateMachineArn must name this template's state machine "
                    f"(!Ref {' / '.join(sorted(state_machines)) or '<state machine>'}) and only it"
                )
    return findings


def pattern_alternatives(pattern: dict) -> list[dict]:
    """A pattern with a top-level $or as the list of its alternatives (each merged with the
    fields outside $or); a pattern without $or is its own single alternative."""
    branches = pattern.get("$or")
    base = {key: value for key, value in pattern.items() if key != "$or"}
    if not isinstance(branches, list):
        return [base]
    merged = []
    for branch in branches:
        alternative = dict(base)
        for key, value in (branch if isinstance(branch, dict) else {}).items():
            if isinstance(value, dict) and isinstance(alternative.get(key), dict):
                alternative[key] = {**alternative[key], **value}
            else:
                alternative[key] = value
        merged.append(alternative)
    return merged


def condition_uses_parameter(template: dict, condition: str, parameter: str) -> bool:
    body = (template.get("Conditions") or {}).get(condition)
    return json.dumps(body, default=str).find(json.dumps({"Ref": parameter})) >= 0


def rule_source(resource: dict) -> set | None:
    pattern = (resource.get("Properties") or {}).get("EventPattern")
    return as_set(pattern.get("source")) if isinstance(pattern, dict) else None


def check_emr_events_rule(template: dict) -> list[str]:
    findings = []
    for function, crate in function_crates(template).items():
        if crate != EMR_EVENTS_CRATE:
            continue
        # S3's rule (the data waits) is checked by check_input_data_rule.
        rules = [(name, res) for name, res in rules_targeting(template, function)
                 if rule_source(res) != {S3_SOURCE}]
        if not rules:
            findings.append(f"{function}: no EventBridge rule sends EMR events to it")
            continue
        matched: dict[str, set[str]] = {}
        for rule, resource in rules:
            props = resource.get("Properties") or {}
            pattern = props.get("EventPattern")
            if not isinstance(pattern, dict):
                findings.append(f"{rule}: the EMR events rule needs an EventPattern")
                continue
            state = props.get("State")
            if_args = state.get("Fn::If") if isinstance(state, dict) else None
            if not (isinstance(if_args, list) and if_args
                    and condition_uses_parameter(template, if_args[0], "StepCompletion")):
                findings.append(
                    f"{rule}: State must follow the StepCompletion parameter "
                    "(!If [<condition on StepCompletion>, ENABLED, DISABLED])"
                )
            for alternative in pattern_alternatives(pattern):
                if as_set(alternative.get("source")) != {"aws.emr"}:
                    findings.append(f"{rule}: source must be exactly [aws.emr]")
                detail_types = as_set(alternative.get("detail-type")) or set()
                detail = alternative.get("detail") if isinstance(alternative.get("detail"), dict) else {}
                states = as_set(detail.get("state"))
                if states is None:
                    findings.append(
                        f"{rule}: every alternative must list detail.state as plain state names "
                        f"(got {detail.get('state')!r} for {sorted(detail_types)})"
                    )
                    continue
                for detail_type in detail_types:
                    if detail_type not in EMR_EVENT_STATES:
                        findings.append(f"{rule}: unexpected detail-type {detail_type!r}")
                        continue
                    matched.setdefault(detail_type, set()).update(states & EMR_EVENT_STATES[detail_type])
        for detail_type, expected in EMR_END_STATES.items():
            got = matched.get(detail_type, set())
            if got != expected:
                findings.append(
                    f"{function}: its rule(s) must match {detail_type!r} with exactly "
                    f"{sorted(expected)}, they match {sorted(got)}"
                )
    return findings


def check_async_targets(template: dict) -> list[str]:
    """Functions an EventBridge rule invokes are invoked asynchronously: failures must land
    in a dead-letter queue after bounded retries, and only that rule may invoke them."""
    findings = []
    all_resources = dict(resources(template))
    for function in function_crates(template):
        rules = rules_targeting(template, function)
        if not rules:
            continue
        props = all_resources[function].get("Properties") or {}
        dead_letter = props.get("DeadLetterQueue") or props.get("DeadLetterConfig")
        if not isinstance(dead_letter, dict) or not dead_letter.get("TargetArn"):
            findings.append(f"{function}: invoked by {rules[0][0]} (asynchronously) but has no dead-letter queue")
        invoke_configs = [
            res for res in all_resources.values()
            if res.get("Type") == "AWS::Lambda::EventInvokeConfig"
            and referenced_resource((res.get("Properties") or {}).get("FunctionName")) == function
        ]
        if not invoke_configs:
            findings.append(
                f"{function}: invoked asynchronously but has no AWS::Lambda::EventInvokeConfig "
                "(MaximumRetryAttempts, MaximumEventAgeInSeconds)"
            )
        for rule, resource in rules:
            for target in (resource.get("Properties") or {}).get("Targets") or []:
                if referenced_resource(target.get("Arn")) == function and not (
                        target.get("DeadLetterConfig") and target.get("RetryPolicy")):
                    findings.append(f"{rule}: the target {function} needs a RetryPolicy and a DeadLetterConfig")
            permitted = [
                res for res in all_resources.values()
                if res.get("Type") == "AWS::Lambda::Permission"
                and referenced_resource((res.get("Properties") or {}).get("FunctionName")) == function
                and (res.get("Properties") or {}).get("Principal") == "events.amazonaws.com"
                and referenced_resource((res.get("Properties") or {}).get("SourceArn")) == rule
            ]
            if not permitted:
                findings.append(
                    f"{rule}: no AWS::Lambda::Permission lets events.amazonaws.com invoke {function} "
                    f"with SourceArn = this rule"
                )
    return findings


# ------------------------------------------------------------------ (g) input data

S3_SOURCE = "aws.s3"
WAIT_FOR_BUCKETS = "WaitForBuckets"


def check_input_data_rule(template: dict) -> list[str]:
    """S3's Object Created events of the WaitForBuckets, and only those, reach emr-events;
    and S3 may be read only in those buckets, only when they are given."""
    findings = []
    waits_for_data = WAIT_FOR_BUCKETS in (template.get("Parameters") or {})
    s3_rules = [
        (name, res) for function, crate in function_crates(template).items()
        if crate == EMR_EVENTS_CRATE
        for name, res in rules_targeting(template, function)
        if rule_source(res) == {S3_SOURCE}
    ]
    if waits_for_data and not s3_rules:
        findings.append(f"{WAIT_FOR_BUCKETS}: no EventBridge rule sends S3's Object Created events to emr-events")
    for rule, resource in s3_rules:
        props = resource.get("Properties") or {}
        pattern = props.get("EventPattern") or {}
        if "$or" in pattern:
            findings.append(f"{rule}: keep S3's pattern flat (no $or)")
        if as_set(pattern.get("detail-type")) != {"Object Created"}:
            findings.append(f"{rule}: detail-type must be exactly [Object Created]")
        bucket = ((pattern.get("detail") or {}).get("bucket") or {}) if isinstance(pattern.get("detail"), dict) else {}
        if not (isinstance(bucket, dict) and bucket.get("name") == {"Ref": WAIT_FOR_BUCKETS}):
            findings.append(f"{rule}: detail.bucket.name must be !Ref {WAIT_FOR_BUCKETS} (only the buckets runs wait on)")
        state = props.get("State")
        if_args = state.get("Fn::If") if isinstance(state, dict) else None
        if not (isinstance(if_args, list) and if_args
                and condition_uses_parameter(template, if_args[0], WAIT_FOR_BUCKETS)):
            findings.append(f"{rule}: State must follow {WAIT_FOR_BUCKETS} (!If [<condition on it>, ENABLED, DISABLED])")
    for name, resource in resources(template):
        for where, statement in policy_statements(resource.get("Properties") or {}, name):
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            if is_principal_policy(statement) or not any(a.lower().startswith("s3:") for a in actions):
                continue
            text = json.dumps(statement.get("Resource"), default=str)
            if json.dumps({"Ref": WAIT_FOR_BUCKETS}) not in text:
                findings.append(f"{where}: s3 actions must be scoped to the {WAIT_FOR_BUCKETS} buckets")
    return findings


# ------------------------------------------------------------------ (f) token table


def check_tables(template: dict) -> list[str]:
    findings = []
    tables = {name for name, res in resources(template) if res.get("Type") in TABLE_TYPES}
    for name in sorted(tables):
        props = dict(resources(template))[name].get("Properties") or {}
        if props.get("BillingMode") != "PAY_PER_REQUEST":
            findings.append(f"{name}: BillingMode must be PAY_PER_REQUEST (tokens come in bursts, mostly none)")
        ttl = props.get("TimeToLiveSpecification") or {}
        if not (isinstance(ttl, dict) and ttl.get("Enabled") in (True, "true")
                and isinstance(ttl.get("AttributeName"), str) and ttl["AttributeName"]):
            findings.append(f"{name}: TimeToLiveSpecification must be enabled on an attribute (every item expires)")
    for resource_name, resource in resources(template):
        for where, statement in policy_statements(resource.get("Properties") or {}, resource_name):
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            if is_principal_policy(statement) or not any(a.lower().startswith("dynamodb:") for a in actions):
                continue
            entries = as_list(statement.get("Resource"))
            if not entries:
                findings.append(f"{where}: dynamodb actions without a Resource")
            for entry in entries:
                if not table_arn_reference(entry, tables):
                    findings.append(
                        f"{where}: dynamodb actions must be scoped to the table's ARN "
                        f"(!GetAtt <Table>.Arn or \"${{<Table>.Arn}}/index/<name>\"), got {json.dumps(entry, default=str)}"
                    )
    return findings


def table_arn_reference(entry: Any, tables: set[str]) -> bool:
    if isinstance(entry, dict) and "Fn::GetAtt" in entry:
        get_att = entry["Fn::GetAtt"]
        parts = get_att if isinstance(get_att, list) else str(get_att).split(".", 1)
        return len(parts) == 2 and parts[0] in tables and parts[1] == "Arn"
    text = function_name_text(entry) if isinstance(entry, dict) and "Fn::Sub" in entry else None
    if text is None:
        return False
    match = re.fullmatch(r"\$\{([A-Za-z0-9]+)\.Arn\}(/index/[A-Za-z0-9_.-]+)?", text)
    return bool(match) and match.group(1) in tables


# ------------------------------------------------------------------ (g) pipeline schedules


def check_schedules(template: dict) -> list[str]:
    findings = []
    all_resources = dict(resources(template))
    crates = function_crates(template)
    roles: set[str] = set()
    targets: set[str] = set()
    for name, resource in resources(template):
        if resource.get("Type") not in SCHEDULE_TYPES:
            continue
        props = resource.get("Properties") or {}
        target = props.get("Target") if isinstance(props.get("Target"), dict) else {}
        function = referenced_resource(target.get("Arn"))
        if crates.get(function) != START_DAILY_CRATE:
            findings.append(f"{name}: a pipeline schedule must target start-daily, got {target.get('Arn')!r}")
        else:
            targets.add(function)
        role = referenced_resource(target.get("RoleArn"))
        if (all_resources.get(role) or {}).get("Type") == "AWS::IAM::Role":
            roles.add(role)
        else:
            findings.append(f"{name}: Target.RoleArn must be !GetAtt <a role of this template>.Arn")
        if not (target.get("RetryPolicy") and (target.get("DeadLetterConfig") or {}).get("Arn")):
            findings.append(f"{name}: the target needs a RetryPolicy and a DeadLetterConfig")
        if (props.get("FlexibleTimeWindow") or {}).get("Mode") != "OFF":
            findings.append(f"{name}: FlexibleTimeWindow.Mode must be OFF (a pipeline starts at its time)")
        if not isinstance(props.get("ScheduleExpressionTimezone"), str):
            findings.append(f"{name}: ScheduleExpressionTimezone must name the pipeline's time zone")
        try:
            payload = json.loads(target.get("Input")) if isinstance(target.get("Input"), str) else None
        except json.JSONDecodeError:
            payload = None
        if not (isinstance(payload, dict) and set(payload) == {"PipelineName", "ScheduledTime"}
                and payload["PipelineName"] == props.get("Name")
                and payload["ScheduledTime"] == SCHEDULED_TIME):
            findings.append(f"{name}: Target.Input must be {{\"PipelineName\": <the schedule's Name>, "
                            f"\"ScheduledTime\": \"{SCHEDULED_TIME}\"}}")
    for role in sorted(roles):
        findings.extend(check_scheduler_role(role, all_resources[role], crates, all_resources))
    for function in sorted(targets):
        props = all_resources[function].get("Properties") or {}
        if not (props.get("DeadLetterQueue") or {}).get("TargetArn"):
            findings.append(f"{function}: invoked by the schedules (asynchronously) but has no dead-letter queue")
        if not any(res.get("Type") == "AWS::Lambda::EventInvokeConfig" and referenced_resource(
                (res.get("Properties") or {}).get("FunctionName")) == function for res in all_resources.values()):
            findings.append(f"{function}: invoked asynchronously by the schedules but has no EventInvokeConfig")
    return findings


def check_scheduler_role(name: str, role: dict, crates: dict[str, str], all_resources: dict) -> list[str]:
    """Assumed only by scheduler.amazonaws.com of this account; invokes start-daily, sends to a queue."""
    findings = []
    props = role.get("Properties") or {}
    trust = as_list((props.get("AssumeRolePolicyDocument") or {}).get("Statement"))
    for statement in trust:
        principal = (statement.get("Principal") or {}) if isinstance(statement, dict) else {}
        if as_list(principal.get("Service")) != ["scheduler.amazonaws.com"] or set(principal) != {"Service"}:
            findings.append(f"{name}: only scheduler.amazonaws.com may assume the schedules' role")
        if "aws:sourceaccount" not in condition_keys(statement.get("Condition")):
            findings.append(f"{name}: the schedules' role trust needs an aws:SourceAccount condition")
    if props.get("ManagedPolicyArns"):
        findings.append(f"{name}: the schedules' role takes no managed policy (least privilege)")
    for index, policy in enumerate(as_list(props.get("Policies"))):
        document = (policy or {}).get("PolicyDocument") or {}
        for where, statement in (pair for i, st in enumerate(as_list(document.get("Statement")))
                                 for pair in expand_statement(st, f"{name}.Policies[{index}].Statement[{i}]")):
            actions = {a.lower() for a in as_list(statement.get("Action")) if isinstance(a, str)}
            extra = sorted(actions - SCHEDULER_ACTIONS)
            if extra:
                findings.append(f"{where}: the schedules' role may only invoke start-daily, not {', '.join(extra)}")
            for entry in as_list(statement.get("Resource")):
                target = referenced_resource(entry)
                if "lambda:invokefunction" in actions and crates.get(target) != START_DAILY_CRATE:
                    findings.append(f"{where}: lambda:InvokeFunction only on start-daily, got {entry!r}")
                if "sqs:sendmessage" in actions and (all_resources.get(target) or {}).get("Type") != "AWS::SQS::Queue":
                    findings.append(f"{where}: sqs:SendMessage only on a queue of this template, got {entry!r}")
    return findings


# ------------------------------------------------------------------ entry point


def run_checks(template_path: Path, functions_dir: Path) -> list[str]:
    template = load_template(template_path)
    return (
        check_substitutions(template, template_path.parent)
        + check_functions(template, functions_dir)
        + check_iam(template)
        + check_checkov_skips(template, template_path.read_text(encoding="utf-8"))
        + check_reaper_rule(template)
        + check_emr_events_rule(template)
        + check_async_targets(template)
        + check_tables(template)
        + check_schedules(template)
        + check_input_data_rule(template)
    )


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=repo / "infra" / "template.yaml")
    parser.add_argument("--functions", type=Path, default=repo / "functions")
    parser.add_argument("--checkov-report", type=Path, metavar="FILE",
                        help="judge checkov's JSON report instead of checking the template")
    args = parser.parse_args(argv)
    if args.checkov_report is not None:
        return run_checkov_report(args.checkov_report)
    try:
        findings = run_checks(args.template, args.functions)
    except (OSError, ValueError) as error:
        print(f"check_template: {error}", file=sys.stderr)
        return 1
    for finding in findings:
        print(f"check_template: {finding}", file=sys.stderr)
    if findings:
        print(f"check_template: {len(findings)} problem(s) in {args.template}", file=sys.stderr)
        return 1
    print(f"check_template: {args.template} OK (substitutions, functions, IAM, checkov skips, "
          "event rules, token table, schedules, input data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
