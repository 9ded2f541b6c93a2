"""GIVEN / WHEN / THEN tests of infra/check_template.py: the real template passes, and each
kind of bad template is caught with a message that names the problem."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parent.parent
REPO = INFRA.parent
sys.path.insert(0, str(INFRA))

import check_template  # noqa: E402

GOOD_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  AlphaRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: alpha
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: elasticmapreduce:DescribeCluster
                Resource: !Sub arn:${AWS::Partition}:elasticmapreduce:${AWS::Region}:${AWS::AccountId}:cluster/*
              - Effect: Allow
                Action: elasticmapreduce:ListClusters
                Resource: "*"
              - Effect: Allow
                Action: iam:PassRole
                Resource: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/EMR_DefaultRole
                Condition:
                  StringEquals:
                    iam:PassedToService: elasticmapreduce.amazonaws.com
  AlphaFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: alpha
      CodeUri: ../target/lambda/alpha/
      Handler: bootstrap
      Runtime: provided.al2023
      Role: !GetAtt AlphaRole.Arn
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: ../statemachine/emrflow.asl.json
      DefinitionSubstitutions:
        AlphaFunctionArn: !GetAtt AlphaFunction.Arn
"""

GOOD_ASL = '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${AlphaFunctionArn}", "End": true}}}'


def make_project(tmp_path: Path, template: str = GOOD_TEMPLATE, asl: str = GOOD_ASL,
                 crates: tuple[str, ...] = ("alpha",),
                 libraries: tuple[str, ...] = ("core", "vocabulary")) -> Path:
    """A throwaway repo layout: infra/template.yaml, statemachine/emrflow.asl.json, functions/*
    (`crates` with a [[bin]] section like the real function crates, `libraries` without)."""
    (tmp_path / "infra").mkdir()
    (tmp_path / "statemachine").mkdir()
    (tmp_path / "functions").mkdir()
    (tmp_path / "infra" / "template.yaml").write_text(template)
    (tmp_path / "statemachine" / "emrflow.asl.json").write_text(asl)
    for crate in crates:
        (tmp_path / "functions" / crate).mkdir(parents=True)
        (tmp_path / "functions" / crate / "Cargo.toml").write_text(
            f'[package]\nname = "{crate}"\n\n[[bin]]\nname = "{crate}"\npath = "src/main.rs"\n')
    for library in libraries:
        (tmp_path / "functions" / library).mkdir(parents=True)
        (tmp_path / "functions" / library / "Cargo.toml").write_text(
            f'[package]\nname = "emrflow-{library}"\n\n[lib]\npath = "src/lib.rs"\n')
    return tmp_path


def findings_for(project: Path) -> list[str]:
    return check_template.run_checks(project / "infra" / "template.yaml", project / "functions")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"fixture drifted: {old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def test_given_the_repository_template_when_checked_then_it_is_clean():
    # GIVEN the real infra/template.yaml, statemachine/emrflow.asl.json and functions/
    # WHEN checked THEN there is nothing to report
    assert check_template.run_checks(INFRA / "template.yaml", REPO / "functions") == []


def test_given_a_minimal_good_template_when_checked_then_it_is_clean(tmp_path):
    # GIVEN the fixture all other tests break in one place WHEN checked THEN clean
    assert findings_for(make_project(tmp_path)) == []


def test_given_a_placeholder_without_substitution_when_checked_then_it_is_named(tmp_path):
    # GIVEN the ASL uses ${BetaFunctionArn} which the template does not substitute
    asl = GOOD_ASL.replace('"End": true', '"Next": "B"').replace(
        "}}}", '}, "B": {"Type": "Task", "Resource": "${BetaFunctionArn}", "End": true}}}')
    # WHEN checked
    findings = findings_for(make_project(tmp_path, asl=asl))
    # THEN the missing substitution is reported by name
    assert len(findings) == 1
    assert "${BetaFunctionArn}" in findings[0] and "no DefinitionSubstitutions entry" in findings[0]


def test_given_an_unused_substitution_when_checked_then_it_is_named(tmp_path):
    # GIVEN a DefinitionSubstitutions entry the ASL never uses
    template = replace_once(GOOD_TEMPLATE, "        AlphaFunctionArn: !GetAtt AlphaFunction.Arn\n",
                            "        AlphaFunctionArn: !GetAtt AlphaFunction.Arn\n"
                            "        GammaFunctionArn: !GetAtt AlphaFunction.Arn\n")
    # WHEN checked THEN it is reported as unused
    findings = findings_for(make_project(tmp_path, template=template))
    assert findings == [
        "Machine: DefinitionSubstitutions entry GammaFunctionArn is not used in emrflow.asl.json"
    ]


def test_given_a_missing_definition_file_when_checked_then_the_path_is_reported(tmp_path):
    # GIVEN DefinitionUri points at a file that does not exist
    template = replace_once(GOOD_TEMPLATE, "../statemachine/emrflow.asl.json", "../statemachine/other.asl.json")
    # WHEN checked THEN the unresolved path is named
    findings = findings_for(make_project(tmp_path, template=template))
    assert len(findings) == 1 and "other.asl.json" in findings[0] and "does not exist" in findings[0]


def test_given_a_function_without_a_crate_when_checked_then_it_is_reported(tmp_path):
    # GIVEN the template deploys target/lambda/alpha/ but functions/ has no alpha crate
    project = make_project(tmp_path, crates=())
    # WHEN checked THEN the orphan function is reported
    findings = findings_for(project)
    assert len(findings) == 1
    assert "deploys alpha, which is not a crate" in findings[0]


def test_given_a_crate_without_a_function_when_checked_then_it_is_reported_but_libraries_are_not(tmp_path):
    # GIVEN functions/ has a beta [[bin]] crate the template does not deploy, and three library
    # crates (no [[bin]]: core, vocabulary, lambda) that are no functions
    project = make_project(tmp_path, crates=("alpha", "beta"), libraries=("core", "vocabulary", "lambda"))
    # WHEN checked THEN beta is reported, the libraries are not
    assert findings_for(project) == ["crate functions/beta is not deployed by any function in the template"]


def test_given_a_library_crate_deployed_as_a_function_when_checked_then_it_is_reported(tmp_path):
    # GIVEN the template deploys alpha, but functions/alpha is a library (no [[bin]] section)
    project = make_project(tmp_path, crates=(), libraries=("alpha", "core"))
    # WHEN checked THEN alpha is not a function crate
    findings = findings_for(project)
    assert len(findings) == 1 and "deploys alpha, which is not a crate" in findings[0]


def test_given_a_crate_manifest_that_is_not_toml_when_checked_then_the_checker_refuses(tmp_path, capsys):
    # GIVEN functions/alpha/Cargo.toml is broken
    project = make_project(tmp_path)
    (project / "functions" / "alpha" / "Cargo.toml").write_text("[[bin]\nname = ")
    # WHEN the command line runs THEN it fails naming the manifest
    status = check_template.main(["--template", str(project / "infra" / "template.yaml"),
                                  "--functions", str(project / "functions")])
    assert status == 1 and "Cargo.toml: not valid TOML" in capsys.readouterr().err


def test_given_a_code_uri_that_is_not_a_prebuilt_folder_when_checked_then_it_is_reported(tmp_path):
    # GIVEN CodeUri points at the crate sources instead of the cargo-lambda output
    template = replace_once(GOOD_TEMPLATE, "../target/lambda/alpha/", "../functions/alpha/")
    # WHEN checked THEN the CodeUri is reported (and so alpha counts as not deployed)
    findings = findings_for(make_project(tmp_path, template=template))
    assert any("CodeUri must be the prebuilt" in finding for finding in findings)


@pytest.mark.parametrize("action", ["'*'", "elasticmapreduce:*", "s3:Get*", "elasticmapreduce:Describe?luster"])
def test_given_a_wildcard_action_when_checked_then_it_is_reported(tmp_path, action):
    # GIVEN an Allow statement whose action is a wildcard
    template = replace_once(GOOD_TEMPLATE, "Action: elasticmapreduce:DescribeCluster", f"Action: {action}")
    # WHEN checked
    findings = findings_for(make_project(tmp_path, template=template))
    # THEN the wildcard is reported
    assert any("wildcard action" in finding and action.strip("'") in finding for finding in findings), findings


def test_given_resource_star_on_an_action_with_resource_permissions_when_checked_then_it_is_reported(tmp_path):
    # GIVEN DescribeCluster (which supports cluster ARNs) on Resource "*"
    template = replace_once(
        GOOD_TEMPLATE,
        "Resource: !Sub arn:${AWS::Partition}:elasticmapreduce:${AWS::Region}:${AWS::AccountId}:cluster/*",
        'Resource: "*"')
    # WHEN checked THEN it is reported; ListClusters on "*" (allowed) is not
    findings = findings_for(make_project(tmp_path, template=template))
    assert len(findings) == 1
    assert 'Resource "*" for elasticmapreduce:describecluster' in findings[0]


def test_given_pass_role_without_passed_to_service_when_checked_then_it_is_reported(tmp_path):
    # GIVEN iam:PassRole on a named role but without the iam:PassedToService condition
    template = replace_once(GOOD_TEMPLATE,
                            "                Condition:\n                  StringEquals:\n"
                            "                    iam:PassedToService: elasticmapreduce.amazonaws.com\n", "")
    # WHEN checked THEN the missing condition is reported
    findings = findings_for(make_project(tmp_path, template=template))
    assert len(findings) == 1 and "without an iam:PassedToService condition" in findings[0]


def test_given_pass_role_on_any_role_when_checked_then_it_is_reported(tmp_path):
    # GIVEN iam:PassRole on every role of the account
    template = replace_once(GOOD_TEMPLATE, "role/EMR_DefaultRole", "role/*")
    # WHEN checked THEN the unscoped PassRole is reported
    findings = findings_for(make_project(tmp_path, template=template))
    assert len(findings) == 1 and "iam:PassRole must name roles" in findings[0]


def test_given_a_bad_statement_hidden_in_an_fn_if_branch_when_checked_then_it_is_reported(tmp_path):
    # GIVEN a conditional statement whose "true" branch passes a role without a condition
    template = replace_once(GOOD_TEMPLATE, "              - Effect: Allow\n                Action: elasticmapreduce:ListClusters\n",
                            "              - !If\n"
                            "                - SomeCondition\n"
                            "                - Effect: Allow\n"
                            "                  Action: iam:PassRole\n"
                            "                  Resource: arn:aws:iam::123456789012:role/Other\n"
                            "                - !Ref AWS::NoValue\n"
                            "              - Effect: Allow\n                Action: elasticmapreduce:ListClusters\n")
    # WHEN checked THEN the hidden PassRole is reported
    findings = findings_for(make_project(tmp_path, template=template))
    assert any("without an iam:PassedToService condition" in finding for finding in findings), findings


def test_given_not_action_when_checked_then_it_is_reported(tmp_path):
    # GIVEN an Allow statement using NotAction (= every other action)
    template = replace_once(GOOD_TEMPLATE, "Action: elasticmapreduce:DescribeCluster", "NotAction: iam:CreateUser")
    # WHEN checked THEN it is reported
    findings = findings_for(make_project(tmp_path, template=template))
    assert any("NotAction" in finding for finding in findings), findings


def test_given_a_bad_template_when_run_from_the_command_line_then_it_exits_non_zero(tmp_path, capsys):
    # GIVEN a project with a wildcard action
    project = make_project(tmp_path, template=replace_once(
        GOOD_TEMPLATE, "Action: elasticmapreduce:DescribeCluster", "Action: elasticmapreduce:*"))
    # WHEN the checker's command line runs on it
    status = check_template.main(["--template", str(project / "infra" / "template.yaml"),
                                  "--functions", str(project / "functions")])
    # THEN it fails and says how many problems it found
    assert status == 1
    assert "1 problem(s)" in capsys.readouterr().err


# ------------------------------------------------------------------ checkov skips and report

SKIPPED_FUNCTION = """\
  AlphaFunction:
    Type: AWS::Serverless::Function
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_117
            comment: "no VPC: only public AWS APIs"
"""


def with_skips(skips: str) -> str:
    return replace_once(GOOD_TEMPLATE, "  AlphaFunction:\n    Type: AWS::Serverless::Function\n", skips)


def test_given_checkov_skips_with_reasons_when_checked_then_they_are_accepted(tmp_path):
    # GIVEN a function that skips a checkov check and says why WHEN checked THEN clean
    assert findings_for(make_project(tmp_path, template=with_skips(SKIPPED_FUNCTION))) == []


@pytest.mark.parametrize("comment_line", ["", '            comment: ""\n', '            comment: "   "\n'])
def test_given_a_checkov_skip_without_a_reason_when_checked_then_it_is_reported(tmp_path, comment_line):
    # GIVEN a checkov skip whose comment is missing, empty or blank
    skips = SKIPPED_FUNCTION.replace('            comment: "no VPC: only public AWS APIs"\n', comment_line)
    # WHEN checked
    findings = findings_for(make_project(tmp_path, template=with_skips(skips)))
    # THEN the skip is named with its resource
    assert findings == [
        "AlphaFunction: checkov skip CKV_AWS_117 has no comment (say in one line why it does not apply)"
    ]


def test_given_an_inline_checkov_skip_without_a_reason_when_checked_then_it_is_reported(tmp_path):
    # GIVEN the comment form of a skip (checkov:skip=ID) with no ":reason" after the id
    template = replace_once(GOOD_TEMPLATE, "      FunctionName: alpha\n",
                            "      FunctionName: alpha # checkov:skip=CKV_AWS_115\n")
    # WHEN checked THEN it is reported with its line
    findings = findings_for(make_project(tmp_path, template=template))
    assert len(findings) == 1
    assert "inline checkov:skip=CKV_AWS_115 has no reason" in findings[0]


def checkov_report(failed=(), skipped=(), parsing_errors=0, resource_count=3) -> dict:
    return {
        "check_type": "cloudformation",
        "results": {
            "passed_checks": [],
            "failed_checks": [
                {"check_id": check, "resource": resource, "check_name": "a rule"} for check, resource in failed
            ],
            "skipped_checks": [
                {"check_id": check, "resource": resource, "check_result": {"result": "SKIPPED", "suppress_comment": why}}
                for check, resource, why in skipped
            ],
            "parsing_errors": [],
        },
        "summary": {"passed": 10, "failed": len(failed), "skipped": len(skipped),
                    "parsing_errors": parsing_errors, "resource_count": resource_count,
                    "checkov_version": "3.3.30"},
    }


def test_given_a_clean_checkov_report_when_judged_then_it_passes_and_lists_each_skip(tmp_path, capsys):
    # GIVEN a report with no failed check and two skips of one check with their reason
    report = checkov_report(skipped=[("CKV_AWS_117", "AWS::Serverless::Function.A", "no VPC"),
                                     ("CKV_AWS_117", "AWS::Serverless::Function.B", "no VPC")])
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    # WHEN judged THEN it passes and prints the skip once with its count and reason
    assert check_template.main(["--checkov-report", str(path)]) == 0
    assert "  skip CKV_AWS_117 x2: no VPC" in capsys.readouterr().out


@pytest.mark.parametrize("report, expected", [
    (checkov_report(failed=[("CKV_AWS_26", "AWS::SNS::Topic.AlarmTopic")]), "CKV_AWS_26 failed for AWS::SNS::Topic.AlarmTopic"),
    (checkov_report(skipped=[("CKV_AWS_117", "AWS::Lambda::Function.F", "")]), "CKV_AWS_117 skipped for AWS::Lambda::Function.F without a reason"),
    (checkov_report(parsing_errors=1), "1 parsing error(s)"),
    (checkov_report(resource_count=0), "no resource was scanned"),
    ({"unexpected": True}, "not a checkov JSON report"),
])
def test_given_a_bad_checkov_report_when_judged_then_it_fails_naming_the_problem(tmp_path, capsys, report, expected):
    # GIVEN a checkov report with a failed check / a silent skip / a parse error / nothing scanned
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    # WHEN judged THEN it fails and the problem is named
    assert check_template.main(["--checkov-report", str(path)]) == 1
    assert expected in capsys.readouterr().err


def test_given_a_checkov_report_that_is_not_json_when_judged_then_it_fails(tmp_path, capsys):
    # GIVEN checkov crashed and wrote a traceback instead of JSON
    path = tmp_path / "report.json"
    path.write_text("Traceback (most recent call last):\n")
    # WHEN judged THEN it fails
    assert check_template.main(["--checkov-report", str(path)]) == 1
    assert "cannot read the checkov report" in capsys.readouterr().err


# ------------------------------------------------------------------ event rules, async targets, token table

EVENTS_RESOURCES = """\
  ReaperFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/reap-execution/
      Handler: bootstrap
      Runtime: provided.al2023
      Role: !GetAtt AlphaRole.Arn
      DeadLetterQueue: { Type: SQS, TargetArn: !GetAtt DeadLetters.Arn }
  ReaperInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref ReaperFunction
      Qualifier: $LATEST
      MaximumRetryAttempts: 2
  ReaperRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        source: [aws.states]
        detail-type: [Step Functions Execution Status Change]
        detail:
          status: [ABORTED, TIMED_OUT, FAILED]
          stateMachineArn: [!Ref Machine]
      Targets:
        - Id: reaper
          Arn: !GetAtt ReaperFunction.Arn
          RetryPolicy: { MaximumRetryAttempts: 8 }
          DeadLetterConfig: { Arn: !GetAtt DeadLetters.Arn }
  ReaperPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref ReaperFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt ReaperRule.Arn
  EventsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../target/lambda/emr-events/
      Handler: bootstrap
      Runtime: provided.al2023
      Role: !GetAtt TableRole.Arn
      DeadLetterQueue: { Type: SQS, TargetArn: !GetAtt DeadLetters.Arn }
  EventsInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref EventsFunction
      Qualifier: $LATEST
      MaximumRetryAttempts: 2
  EventsRule:
    Type: AWS::Events::Rule
    Properties:
      State: !If [StepEventsEnabled, ENABLED, DISABLED]
      EventPattern:
        source: [aws.emr]
        $or:
          - detail-type: [EMR Step Status Change]
            detail:
              state: [COMPLETED, FAILED, CANCELLED]
          - detail-type: [EMR Cluster State Change]
            detail:
              state: [TERMINATING, TERMINATED, TERMINATED_WITH_ERRORS]
      Targets:
        - Id: events
          Arn: !GetAtt EventsFunction.Arn
          RetryPolicy: { MaximumRetryAttempts: 8 }
          DeadLetterConfig: { Arn: !GetAtt DeadLetters.Arn }
  EventsPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref EventsFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt EventsRule.Arn
  DeadLetters:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: true
  Tokens:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: ClusterId, AttributeType: S }
        - { AttributeName: Waiter, AttributeType: S }
      KeySchema:
        - { AttributeName: ClusterId, KeyType: HASH }
        - { AttributeName: Waiter, KeyType: RANGE }
      TimeToLiveSpecification:
        AttributeName: ExpiresAt
        Enabled: true
  TableRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: tokens
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [dynamodb:Query, dynamodb:DeleteItem]
                Resource: !GetAtt Tokens.Arn
              - Effect: Allow
                Action: states:SendTaskSuccess
                Resource: "*"
"""

EVENTS_TEMPLATE = replace_once(
    GOOD_TEMPLATE, "Resources:\n",
    "Parameters:\n  StepCompletion:\n    Type: String\n    Default: EVENTS\n"
    "Conditions:\n  StepEventsEnabled: !Equals [!Ref StepCompletion, EVENTS]\n"
    "Resources:\n" + EVENTS_RESOURCES)
EVENT_CRATES = ("alpha", "reap-execution", "emr-events")


def events_findings(tmp_path: Path, old: str | None = None, new: str = "", template: str = EVENTS_TEMPLATE) -> list[str]:
    if old is not None:
        template = replace_once(template, old, new)
    return findings_for(make_project(tmp_path, template=template, crates=EVENT_CRATES))


def test_given_the_reaper_the_emr_events_handler_and_the_token_table_done_right_when_checked_then_clean(tmp_path):
    # GIVEN both async functions with rule, DLQ, retry config and permission, and the table
    # WHEN checked THEN clean
    assert events_findings(tmp_path) == []


@pytest.mark.parametrize("statuses", ["[ABORTED, FAILED]", "[ABORTED, TIMED_OUT, FAILED, SUCCEEDED]",
                                      "[{prefix: A}, TIMED_OUT, FAILED]"])
def test_given_a_reaper_rule_without_exactly_the_three_statuses_when_checked_then_it_is_reported(tmp_path, statuses):
    # GIVEN the reaper's rule misses a status, adds one, or uses a content filter
    findings = events_findings(tmp_path, "status: [ABORTED, TIMED_OUT, FAILED]", f"status: {statuses}")
    # THEN it is reported
    assert len(findings) == 1 and "detail.status must be exactly" in findings[0], findings


@pytest.mark.parametrize("machine", ["[arn:aws:states:eu-west-1:123456789012:stateMachine:other]",
                                     "[!Ref Machine, !Ref Machine]", "[!Ref AlphaFunction]"])
def test_given_a_reaper_rule_for_another_state_machine_when_checked_then_it_is_reported(tmp_path, machine):
    # GIVEN the reaper's rule names a literal ARN, names the machine twice, or names something else
    findings = events_findings(tmp_path, "stateMachineArn: [!Ref Machine]", f"stateMachineArn: {machine}")
    # THEN it is reported
    assert len(findings) == 1 and "must name this template's state machine" in findings[0], findings


def test_given_a_reaper_rule_without_the_state_machine_when_checked_then_it_is_reported(tmp_path):
    # GIVEN the reaper would react to every state machine of the account
    findings = events_findings(tmp_path, "          stateMachineArn: [!Ref Machine]\n", "")
    assert len(findings) == 1 and "must name this template's state machine" in findings[0], findings


def test_given_a_reaper_rule_on_the_wrong_source_when_checked_then_it_is_reported(tmp_path):
    # GIVEN a typo in the source and the detail-type
    findings = events_findings(tmp_path, "source: [aws.states]\n        detail-type: [Step Functions Execution Status Change]",
                               "source: [aws.stepfunctions]\n        detail-type: [Execution Status Change]")
    assert any("source must be exactly [aws.states]" in f for f in findings), findings
    assert any("detail-type must be exactly" in f for f in findings), findings


def test_given_a_reaper_rule_widened_with_or_when_checked_then_it_is_reported(tmp_path):
    # GIVEN an $or alternative that would reap every state machine's failed executions
    findings = events_findings(tmp_path, "          stateMachineArn: [!Ref Machine]\n",
                               "          stateMachineArn: [!Ref Machine]\n        $or:\n"
                               "          - detail: { status: [FAILED] }\n")
    assert any("keep the reaper's pattern flat" in finding for finding in findings), findings


def test_given_a_reaper_that_no_rule_invokes_when_checked_then_it_is_reported(tmp_path):
    # GIVEN the rule targets another function
    findings = events_findings(tmp_path, "          Arn: !GetAtt ReaperFunction.Arn\n", "          Arn: !GetAtt AlphaFunction.Arn\n")
    assert "ReaperFunction: no EventBridge rule invokes the reaper" in findings, findings


@pytest.mark.parametrize("old, new, expected", [
    ("state: [COMPLETED, FAILED, CANCELLED]", "state: [COMPLETED, FAILED]",
     "'EMR Step Status Change' with exactly ['CANCELLED', 'COMPLETED', 'FAILED'], they match ['COMPLETED', 'FAILED']"),
    ("state: [COMPLETED, FAILED, CANCELLED]", "state: [COMPLETED, FAILED, CANCELLED, RUNNING]",
     "they match ['CANCELLED', 'COMPLETED', 'FAILED', 'RUNNING']"),
    ("state: [TERMINATING, TERMINATED, TERMINATED_WITH_ERRORS]", "state: [TERMINATED, TERMINATED_WITH_ERRORS]",
     "'EMR Cluster State Change' with exactly ['TERMINATED', 'TERMINATED_WITH_ERRORS', 'TERMINATING']"),
    ("detail-type: [EMR Cluster State Change]", "detail-type: [EMR Instance Group State Change]",
     "unexpected detail-type 'EMR Instance Group State Change'"),
    ("            detail:\n              state: [COMPLETED, FAILED, CANCELLED]\n", "",
     "every alternative must list detail.state"),
    ("source: [aws.emr]", "source: [aws.elasticmapreduce]", "source must be exactly [aws.emr]"),
    ("State: !If [StepEventsEnabled, ENABLED, DISABLED]", "State: ENABLED", "State must follow the StepCompletion parameter"),
])
def test_given_an_emr_events_rule_that_is_not_exactly_the_end_states_when_checked_then_it_is_reported(
        tmp_path, old, new, expected):
    # GIVEN the EMR events rule drops or adds a state, a detail-type, the state filter, the source,
    # or ignores the StepCompletion setting
    findings = events_findings(tmp_path, old, new)
    # THEN the difference is named
    assert any(expected in finding for finding in findings), findings


def test_given_an_emr_events_rule_without_or_but_the_same_states_when_checked_then_it_is_accepted(tmp_path):
    # GIVEN one flat pattern with both detail-types and the six end states (step events never
    # carry cluster states, so it matches the same events as the $or form)
    template = replace_once(EVENTS_TEMPLATE, """        $or:
          - detail-type: [EMR Step Status Change]
            detail:
              state: [COMPLETED, FAILED, CANCELLED]
          - detail-type: [EMR Cluster State Change]
            detail:
              state: [TERMINATING, TERMINATED, TERMINATED_WITH_ERRORS]
""", """        detail-type: [EMR Step Status Change, EMR Cluster State Change]
        detail:
          state: [COMPLETED, FAILED, CANCELLED, TERMINATING, TERMINATED, TERMINATED_WITH_ERRORS]
""")
    # WHEN checked THEN clean
    assert events_findings(tmp_path, template=template) == []


@pytest.mark.parametrize("old, new, expected", [
    ("      DeadLetterQueue: { Type: SQS, TargetArn: !GetAtt DeadLetters.Arn }\n  ReaperInvokeConfig:",
     "  ReaperInvokeConfig:", "ReaperFunction: invoked by ReaperRule (asynchronously) but has no dead-letter queue"),
    ("      FunctionName: !Ref EventsFunction\n      Qualifier", "      FunctionName: !Ref AlphaFunction\n      Qualifier",
     "EventsFunction: invoked asynchronously but has no AWS::Lambda::EventInvokeConfig"),
    ("      SourceArn: !GetAtt ReaperRule.Arn\n", "",
     "ReaperRule: no AWS::Lambda::Permission lets events.amazonaws.com invoke ReaperFunction"),
    ("          RetryPolicy: { MaximumRetryAttempts: 8 }\n          DeadLetterConfig: { Arn: !GetAtt DeadLetters.Arn }\n  EventsPermission:",
     "  EventsPermission:", "EventsRule: the target EventsFunction needs a RetryPolicy and a DeadLetterConfig"),
])
def test_given_an_asynchronously_invoked_function_without_its_safety_nets_when_checked_then_it_is_reported(
        tmp_path, old, new, expected):
    # GIVEN a rule-invoked function without a DLQ / retry config / scoped permission / target DLQ
    findings = events_findings(tmp_path, old, new)
    # THEN it is reported
    assert any(expected in finding for finding in findings), findings


@pytest.mark.parametrize("old, new, expected", [
    ("BillingMode: PAY_PER_REQUEST", "BillingMode: PROVISIONED", "Tokens: BillingMode must be PAY_PER_REQUEST"),
    ("        Enabled: true\n  TableRole:", "        Enabled: false\n  TableRole:", "Tokens: TimeToLiveSpecification must be enabled"),
    ("      TimeToLiveSpecification:\n        AttributeName: ExpiresAt\n        Enabled: true\n", "",
     "Tokens: TimeToLiveSpecification must be enabled"),
])
def test_given_a_token_table_without_pay_per_request_or_ttl_when_checked_then_it_is_reported(tmp_path, old, new, expected):
    # GIVEN the token table is provisioned, or its items never expire
    findings = events_findings(tmp_path, old, new)
    # THEN it is reported
    assert any(expected in finding for finding in findings), findings


@pytest.mark.parametrize("resource", [
    "!Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*",
    "!Sub ${Tokens.Arn}*",
    "!Sub ${Tokens.Arn}/index/*",
    "arn:aws:dynamodb:eu-west-1:123456789012:table/Tokens",
    "'*'",
])
def test_given_table_access_not_scoped_to_the_table_arn_when_checked_then_it_is_reported(tmp_path, resource):
    # GIVEN a role whose dynamodb statement reaches other tables (a pattern, a literal, "*")
    findings = events_findings(tmp_path, "Resource: !GetAtt Tokens.Arn", f"Resource: {resource}")
    # THEN it is reported
    assert any("dynamodb actions must be scoped to the table's ARN" in finding for finding in findings), findings


def test_given_table_access_to_the_table_and_a_named_index_when_checked_then_it_is_accepted(tmp_path):
    # GIVEN the statement names the table and one of its indexes
    findings = events_findings(tmp_path, "Resource: !GetAtt Tokens.Arn",
                               "Resource: [!GetAtt Tokens.Arn, !Sub '${Tokens.Arn}/index/ByStep']")
    # THEN clean
    assert findings == []


# ------------------------------------------------------------------ input data (WaitFor)

DATA_RESOURCES = """\
  DataRule:
    Type: AWS::Events::Rule
    Properties:
      State: !If [HasWaitForBuckets, ENABLED, DISABLED]
      EventPattern:
        source: [aws.s3]
        detail-type: [Object Created]
        detail:
          bucket:
            name: !Ref WaitForBuckets
      Targets:
        - Id: events
          Arn: !GetAtt EventsFunction.Arn
          RetryPolicy: { MaximumRetryAttempts: 8 }
          DeadLetterConfig: { Arn: !GetAtt DeadLetters.Arn }
  DataPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref EventsFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt DataRule.Arn
  DataRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: data
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - !If
                - HasWaitForBuckets
                - Effect: Allow
                  Action: s3:GetObject
                  Resource: !Split
                    - ","
                    - !Sub
                      - arn:${AWS::Partition}:s3:::${Objects}/*
                      - Objects: !Join [",", !Ref WaitForBuckets]
                - !Ref AWS::NoValue
"""

DATA_TEMPLATE = replace_once(
    replace_once(
        replace_once(EVENTS_TEMPLATE, "Parameters:\n",
                     "Parameters:\n  WaitForBuckets:\n    Type: CommaDelimitedList\n    Default: \"\"\n"),
        "Conditions:\n",
        "Conditions:\n  HasWaitForBuckets: !Not [!Equals [!Join [\"\", !Ref WaitForBuckets], \"\"]]\n"),
    "Resources:\n", "Resources:\n" + DATA_RESOURCES)


def test_given_the_input_data_rule_and_s3_reads_done_right_when_checked_then_clean(tmp_path):
    # GIVEN S3's rule on the WaitFor buckets and reads scoped to them WHEN checked THEN clean
    assert events_findings(tmp_path, template=DATA_TEMPLATE) == []


@pytest.mark.parametrize("old,new,expected", [
    ("detail-type: [Object Created]", "detail-type: [Object Created, Object Deleted]", "exactly [Object Created]"),
    ("            name: !Ref WaitForBuckets\n", "            name: [any-bucket]\n", "detail.bucket.name must be !Ref WaitForBuckets"),
    ("State: !If [HasWaitForBuckets, ENABLED, DISABLED]", "State: ENABLED", "State must follow WaitForBuckets"),
    ("                      - Objects: !Join [\",\", !Ref WaitForBuckets]\n",
     "                      - Objects: \"*\"\n", "s3 actions must be scoped to the WaitForBuckets buckets"),
])
def test_given_input_data_access_wider_than_the_wait_for_buckets_when_checked_then_it_is_reported(
        tmp_path, old, new, expected):
    # GIVEN the rule or a read widened WHEN checked THEN the finding names the problem
    findings = events_findings(tmp_path, old, new, template=DATA_TEMPLATE)
    assert any(expected in finding for finding in findings), findings


def test_given_wait_for_buckets_but_no_rule_for_their_events_when_checked_then_it_is_reported(tmp_path):
    # GIVEN the parameter without S3's rule WHEN checked THEN the missing rule is named
    template = replace_once(DATA_TEMPLATE, "  DataRule:\n    Type: AWS::Events::Rule\n",
                            "  DataRule:\n    Type: AWS::SQS::Queue\n")
    findings = events_findings(tmp_path, template=template)
    assert any("no EventBridge rule sends S3's Object Created events" in f for f in findings), findings
