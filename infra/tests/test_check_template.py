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
                 crates: tuple[str, ...] = ("alpha", "core")) -> Path:
    """A throwaway repo layout: infra/template.yaml, statemachine/emrflow.asl.json, functions/*."""
    (tmp_path / "infra").mkdir()
    (tmp_path / "statemachine").mkdir()
    (tmp_path / "infra" / "template.yaml").write_text(template)
    (tmp_path / "statemachine" / "emrflow.asl.json").write_text(asl)
    for crate in crates:
        (tmp_path / "functions" / crate).mkdir(parents=True)
        (tmp_path / "functions" / crate / "Cargo.toml").write_text(f'[package]\nname = "{crate}"\n')
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
    project = make_project(tmp_path, crates=("core",))
    # WHEN checked THEN the orphan function is reported
    findings = findings_for(project)
    assert len(findings) == 1
    assert "deploys alpha, which is not a crate" in findings[0]


def test_given_a_crate_without_a_function_when_checked_then_it_is_reported_but_core_is_exempt(tmp_path):
    # GIVEN functions/ has a beta crate (and the core library) the template does not deploy
    project = make_project(tmp_path, crates=("alpha", "beta", "core"))
    # WHEN checked THEN beta is reported, core is not
    assert findings_for(project) == ["crate functions/beta is not deployed by any function in the template"]


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
