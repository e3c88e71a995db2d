"""The package functions the primer notebook calls: advice table, policy comparison, managed policy, lint text."""

from __future__ import annotations

import json
from pathlib import Path

from fargate_nb.cli.lint import lint_findings, lint_text
from fargate_nb.investigation import EXECUTION_ROLE_POLICY_ARN, managed_policy
from fargate_nb.model import Diagnosis
from fargate_nb.views.notebook import ADVICE_IDS, advice_table, compare_policies

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def golden(name: str) -> Diagnosis:
    return Diagnosis.from_dict(json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")))


def test_advice_table_keeps_only_the_advice_findings_with_their_tips():
    diagnosis = golden("healthy-public")
    table = advice_table(diagnosis)
    assert set(table["id"]) == set(ADVICE_IDS)
    assert list(table.columns) == ["status", "id", "step", "target", "title", "fix"]
    assert len(table.attrs["tips"]) == len(table)
    by_id = {f.id: f.status for f in diagnosis.findings if f.id in ADVICE_IDS}
    assert dict(zip(table["id"], table["status"], strict=True)) == by_id
    assert "fargate-nb-findings" in advice_table(diagnosis, styled=True).to_html()


def test_advice_table_of_other_ids_and_of_none():
    diagnosis = golden("missing-ecr-auth")
    assert list(advice_table(diagnosis, ["iam.ecr-auth"])["status"]) == ["fail"]
    assert advice_table(diagnosis, []).empty


def test_compare_policies_lists_each_allowed_action_per_policy():
    minimal = {"Statement": [
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": ["arn:repo", "arn:repo"]},
        {"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*"},
    ]}
    managed = json.dumps({"Statement": {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken",
                                                                         "logs:PutLogEvents"], "Resource": "*"}})
    table = compare_policies({"minimal": minimal, "managed": managed})
    assert list(table.columns) == ["action", "minimal", "managed"]
    rows = {r["action"]: (r["minimal"], r["managed"]) for r in table.to_dict("records")}
    assert rows == {"ecr:BatchGetImage": ("arn:repo", "—"), "ecr:GetAuthorizationToken": ("*", "*"),
                    "logs:PutLogEvents": ("—", "*")}


def test_managed_policy_reads_the_execution_role_policy_from_the_sandbox(aws):
    document = managed_policy(aws)
    actions = {a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                          else s["Action"])}
    assert {"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
            "logs:CreateLogStream", "logs:PutLogEvents"} <= actions
    assert EXECUTION_ROLE_POLICY_ARN.endswith("/AmazonECSTaskExecutionRolePolicy")


def test_lint_text_is_what_the_cli_prints_for_image_pull_behavior():
    taskdef = {"family": "api", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
               "memory": "512", "containerDefinitions": [
                   {"name": "api", "image": "nginx:1.27", "essential": True, "imagePullBehavior": "always"}]}
    text = lint_text(taskdef)
    assert text.startswith("taskdef.json: 1 problem(s) for Fargate")
    assert "✗ containerDefinitions[0].imagePullBehavior:" in text and "ECS_IMAGE_PULL_BEHAVIOR" in text
    [finding] = [f for f in lint_findings(taskdef) if f.status == "fail"]
    assert finding.id == "taskdef.invalid" and finding.doc_url  # catalogue metadata attached
