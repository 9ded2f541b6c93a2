"""GIVEN / WHEN / THEN tests of infra/render_template.py and of check_template.py's schedule
checks (g): one AWS::Scheduler::Schedule per scheduled pipeline, least privilege for the
schedules' role, and nothing rendered from a folder with a problem."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parent.parent
REPO = INFRA.parent
sys.path.insert(0, str(INFRA))

import check_template  # noqa: E402
import render_template  # noqa: E402

# What `emrflow validate --json` prints for a folder of three pipelines.
VALIDATION = {
    "Pipelines": [
        {"File": "pipelines/daily-etl.json", "Name": "daily-etl",
         "Schedule": {"Expression": "cron(0 6 * * ? *)", "Timezone": "Europe/Berlin", "State": "ENABLED"}},
        {"File": "pipelines/clicks.json", "Name": "clicks",
         "Schedule": {"Expression": "rate(12 hours)", "Timezone": "UTC", "State": "DISABLED"}},
        {"File": "pipelines/by-hand.json", "Name": "by-hand", "Schedule": None},
    ],
    "Problems": [],
}


def rendered(tmp_path: Path, validation: dict = VALIDATION, text: str | None = None) -> dict:
    """The repository template rendered with `validation` (or `text` as the rendered file),
    parsed as check_template parses it."""
    if text is None:
        text = render_template.render((INFRA / "template.yaml").read_text(), validation)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return check_template.load_template(path)


def schedules(template: dict) -> dict[str, dict]:
    return {name: res["Properties"] for name, res in template["Resources"].items()
            if res.get("Type") == "AWS::Scheduler::Schedule"}


def schedule_findings(template: dict) -> list[str]:
    return (check_template.check_schedules(template) + check_template.check_iam(template)
            + check_template.check_functions(template, REPO / "functions"))


def test_given_three_pipelines_when_rendered_then_one_schedule_per_scheduled_pipeline(tmp_path):
    # GIVEN two scheduled pipelines and one started by hand WHEN rendered
    template = rendered(tmp_path)
    found = schedules(template)
    # THEN two schedules, named as their pipelines, in their zones, the paused one DISABLED,
    # the other following the stack's SchedulesState
    by_name = {props["Name"]: props for props in found.values()}
    assert sorted(by_name) == ["clicks", "daily-etl"]
    daily = by_name["daily-etl"]
    assert daily["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert daily["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert daily["State"] == {"Fn::If": ["SchedulesPaused", "DISABLED", "ENABLED"]}
    assert by_name["clicks"]["State"] == "DISABLED"
    assert json.loads(daily["Target"]["Input"]) == {
        "PipelineName": "daily-etl", "ScheduledTime": "<aws.scheduler.scheduled-time>"}
    # AND the logical ids are stable and apart
    assert render_template.logical_id("daily-etl") in found
    assert render_template.logical_id("daily-etl") != render_template.logical_id("daily_etl")
    # AND the checker finds nothing wrong
    assert schedule_findings(template) == []


def test_given_no_scheduled_pipeline_when_rendered_then_the_template_has_no_schedule(tmp_path):
    template = rendered(tmp_path, {"Pipelines": [VALIDATION["Pipelines"][2]], "Problems": []})
    assert schedules(template) == {}
    assert schedule_findings(template) == []


def test_given_a_validation_with_problems_when_rendered_then_nothing_is_and_the_files_are_named():
    # GIVEN emrflow validate's output with a problem WHEN rendered THEN refused, naming it
    validation = dict(VALIDATION, Problems=[
        {"File": "pipelines/b.json", "Message": "pipeline spec: key Name: 'x' is already the Name of pipelines/a.json"}])
    with pytest.raises(render_template.RenderError, match="pipelines/b.json: pipeline spec: key Name"):
        render_template.render((INFRA / "template.yaml").read_text(), validation)


@pytest.mark.parametrize("schedule", [
    {"Expression": "0 6 * * ? *", "Timezone": "UTC", "State": "ENABLED"},
    {"Expression": "cron(0 6 * * ? *)", "Timezone": "UTC", "State": "ON"},
    {"Expression": "cron(0 6 * * ? *)", "State": "ENABLED"},
])
def test_given_a_schedule_not_in_emrflow_validates_shape_when_rendered_then_refused(schedule):
    validation = {"Pipelines": [{"File": "p.json", "Name": "p", "Schedule": schedule}], "Problems": []}
    with pytest.raises(render_template.RenderError, match="pipeline p"):
        render_template.render((INFRA / "template.yaml").read_text(), validation)


def test_given_a_template_without_the_marker_when_rendered_then_refused():
    with pytest.raises(render_template.RenderError, match="exactly once"):
        render_template.render("Resources: {}\n", VALIDATION)


def test_given_the_command_line_when_run_then_it_writes_the_rendered_file(tmp_path, capsys):
    pipelines = tmp_path / "pipelines.json"
    pipelines.write_text(json.dumps(VALIDATION))
    out = tmp_path / "target" / "template.yaml"
    assert render_template.main(["--pipelines", str(pipelines), "--out", str(out)]) == 0
    assert "2 pipeline schedule(s)" in capsys.readouterr().out
    assert out.read_text().count("Type: AWS::Scheduler::Schedule\n") == 2


def bad(tmp_path: Path, old: str, new: str) -> list[str]:
    text = render_template.render((INFRA / "template.yaml").read_text(), VALIDATION)
    assert text.count(old) >= 1, f"fixture drifted: {old!r}"
    return schedule_findings(rendered(tmp_path, text=text.replace(old, new)))


@pytest.mark.parametrize("old, new, expected", [
    ("        Arn: !GetAtt StartDailyFunction.Arn\n        RoleArn",
     "        Arn: !GetAtt ReapExecutionFunction.Arn\n        RoleArn", "must target start-daily"),
    ('        Mode: "OFF"', '        Mode: "FLEXIBLE"\n        MaximumWindowInMinutes: 15',
     "FlexibleTimeWindow.Mode must be OFF"),
    ('"ScheduledTime\\":\\"<aws.scheduler.scheduled-time>\\"', '"ScheduledTime\\":\\"now\\"',
     "Target.Input must be"),
    ("        DeadLetterConfig:\n          Arn: !GetAtt DailyStartFailedQueue.Arn\n", "",
     "needs a RetryPolicy and a DeadLetterConfig"),
    ("                Action: lambda:InvokeFunction\n                Resource: !GetAtt StartDailyFunction.Arn",
     "                Action: lambda:InvokeFunction\n                Resource: !GetAtt ValidateInputFunction.Arn",
     "lambda:InvokeFunction only on start-daily"),
    ("                Action: lambda:InvokeFunction\n",
     "                Action: [lambda:InvokeFunction, states:StartExecution]\n",
     "not states:startexecution"),
    ("            Principal: { Service: scheduler.amazonaws.com }",
     "            Principal: { Service: [scheduler.amazonaws.com, events.amazonaws.com] }",
     "only scheduler.amazonaws.com may assume"),
])
def test_given_a_schedule_or_its_role_done_wrong_when_checked_then_it_is_reported(tmp_path, old, new, expected):
    findings = bad(tmp_path, old, new)
    assert any(expected in finding for finding in findings), findings
