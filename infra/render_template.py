#!/usr/bin/env python3
"""Renders the deployed template: infra/template.yaml with one AWS::Scheduler::Schedule per
pipeline that has a Schedule, written to target/template.yaml (make template).

CloudFormation cannot loop over the files of a folder, so the schedules are written here, from
what `emrflow validate --json pipelines/` printed: the pipelines that passed the very checks
Validate_Input makes, each with its schedule as EventBridge Scheduler takes it (expression,
IANA time zone, ENABLED or DISABLED). A validation with any problem renders nothing: the deploy
stops, and the problems are printed with their files and keys.

Each schedule is named as its pipeline, in the stack's PipelineScheduleGroup, invokes
start-daily with {"PipelineName": <Name>, "ScheduledTime": "<aws.scheduler.scheduled-time>"}
through PipelineSchedulerRole (which may invoke start-daily and nothing else), retries and
keeps what it could not deliver in DailyStartFailedQueue, and is DISABLED when the pipeline
says "Enabled": false or the stack's SchedulesState is DISABLED (pausing every schedule).

The rendered file sits in target/, a sibling of infra/, so the template's relative paths
(../target/lambda/<fn>/, ../statemachine/emrflow.asl.json) still point at the same files.

    python3 infra/render_template.py --pipelines target/pipelines.json \\
        [--template infra/template.yaml] [--out target/template.yaml]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

MARKER = "  # @emrflow:pipeline-schedules"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATES = {"ENABLED", "DISABLED"}


class RenderError(ValueError):
    """The validation output cannot be rendered (problems, or not emrflow validate's shape)."""


def logical_id(name: str) -> str:
    """A stable CloudFormation logical id for pipeline `name`: its words in CamelCase, then
    8 hex digits of its SHA-256 (names that differ only by '-', '_' or case stay apart)."""
    words = "".join(word[:1].upper() + word[1:] for word in re.split(r"[-_]", name) if word)
    return f"PipelineSchedule{words}{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text)


def schedule_resource(pipeline: dict) -> str:
    name = pipeline["Name"]
    schedule = pipeline["Schedule"]
    target_input = json.dumps(
        {"PipelineName": name, "ScheduledTime": "<aws.scheduler.scheduled-time>"},
        separators=(",", ":"))
    state = ("!If [SchedulesPaused, DISABLED, ENABLED]" if schedule["State"] == "ENABLED"
             else "DISABLED")
    return f"""  {logical_id(name)}:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: {quoted(name)}
      GroupName: !Ref PipelineScheduleGroup
      Description: {quoted(f"emrflow: starts pipeline {name} ({pipeline['File']}) through start-daily")}
      ScheduleExpression: {quoted(schedule["Expression"])}
      ScheduleExpressionTimezone: {quoted(schedule["Timezone"])}
      State: {state}
      FlexibleTimeWindow:
        Mode: "OFF"
      Target:
        Arn: !GetAtt StartDailyFunction.Arn
        RoleArn: !GetAtt PipelineSchedulerRole.Arn
        Input: {quoted(target_input)}
        RetryPolicy:
          MaximumEventAgeInSeconds: 3600
          MaximumRetryAttempts: 8
        DeadLetterConfig:
          Arn: !GetAtt DailyStartFailedQueue.Arn
"""


def scheduled_pipelines(validation: dict) -> list[dict]:
    """The validated pipelines that have a schedule, checked for the shape rendered."""
    if not isinstance(validation, dict) or not isinstance(validation.get("Pipelines"), list):
        raise RenderError("not the output of `emrflow validate --json`: no Pipelines list")
    problems = validation.get("Problems") or []
    if problems:
        lines = "\n".join(f"  {p.get('File')}: {p.get('Message')}" for p in problems)
        raise RenderError(f"{len(problems)} pipeline problem(s), nothing rendered:\n{lines}")
    scheduled = []
    for pipeline in validation["Pipelines"]:
        name = pipeline.get("Name")
        if not isinstance(name, str) or not NAME.match(name):
            raise RenderError(f"pipeline {name!r}: not a pipeline Name")
        schedule = pipeline.get("Schedule")
        if schedule is None:
            continue
        if (not isinstance(schedule.get("Expression"), str)
                or not re.match(r"^(cron|rate)\(.+\)$", schedule["Expression"])
                or not isinstance(schedule.get("Timezone"), str)
                or schedule.get("State") not in STATES):
            raise RenderError(f"pipeline {name}: its Schedule is not the shape emrflow validate prints")
        scheduled.append(pipeline)
    return scheduled


def render(template_text: str, validation: dict) -> str:
    if template_text.count(MARKER) != 1:
        raise RenderError(f"the template must hold the line {MARKER.strip()!r} exactly once (in Resources)")
    resources = "".join(schedule_resource(p) for p in scheduled_pipelines(validation))
    rendered = []
    for line in template_text.splitlines(keepends=True):
        if line.startswith(MARKER):
            rendered.append(resources or "  # (no pipeline has a Schedule)\n")
        else:
            rendered.append(line)
    return "".join(rendered)


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=Path, required=True,
                        help="the output of `emrflow validate --json pipelines/`")
    parser.add_argument("--template", type=Path, default=repo / "infra" / "template.yaml")
    parser.add_argument("--out", type=Path, default=repo / "target" / "template.yaml")
    args = parser.parse_args(argv)
    try:
        validation = json.loads(args.pipelines.read_text(encoding="utf-8"))
        text = render(args.template.read_text(encoding="utf-8"), validation)
    except (OSError, json.JSONDecodeError, RenderError) as error:
        print(f"render_template: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    count = len(scheduled_pipelines(validation))
    print(f"render_template: {args.out} with {count} pipeline schedule(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
