"""Lint an ECS task definition against the ECS API model and Fargate's documented rules.

``lint_task_definition`` accepts what ``register-task-definition --cli-input-json`` takes, a
``describe-task-definition`` answer (``{"taskDefinition": {...}}``) or its inner object. Every problem is a
``taskdef.invalid`` finding whose evidence is the JSON path; a clean document gives one passing finding.
The findings carry the specific sentence (``message``); the check's title, severity and documentation URL
come from the check catalogue (`fargate_nb.checks.catalogue`), attached by whoever runs the lint (the
check registry, `fargate-nb lint`). A rule's own AWS page, when it is not the catalogue's, ends the detail.
Pure: no AWS calls, no I/O; botocore is only used for its bundled model.
"""

from __future__ import annotations

from typing import Any

from fargate_nb.model import Finding, Remediation
from fargate_nb.taskdef.fargate import fargate_rules
from fargate_nb.taskdef.placeholders import find_placeholders, placeholders_recognised
from fargate_nb.taskdef.rules import general_rules
from fargate_nb.taskdef.shape import (
    NULL_KIND,
    REGISTER_DOC,
    Problem,
    check_top_level,
    jq_path,
    read_only_members,
)

FINDING_ID = "taskdef.invalid"
READ_ONLY_MESSAGE = "Read-only members from describe-task-definition are present"
PLACEHOLDER_MESSAGE = "The task definition is a template"
NULL_MESSAGE = "Null members (as in console exports and describe-task-definition output)"
MAX_LISTED = 8  # paths named one by one in a summary finding
MAX_FINDINGS = 100
_WRAPPER_KEYS = {"taskDefinition", "tags", "ResponseMetadata"}


def unwrap(doc: Any) -> tuple[Any, str]:
    """The task definition inside a DescribeTaskDefinition answer, and the path prefix it sits under."""
    if isinstance(doc, dict) and isinstance(doc.get("taskDefinition"), dict) and set(doc) <= _WRAPPER_KEYS:
        return doc["taskDefinition"], "taskDefinition"
    return doc, ""


def lint_task_definition(doc: dict[str, Any], *, fargate: bool = True, template: bool = True) -> list[Finding]:
    """Findings for everything wrong with ``doc``; one ``pass`` finding when nothing fails.

    ``fargate``: lint for Fargate. Fargate's rules also apply when the document itself requires FARGATE,
    because ECS validates it for Fargate at registration then. ``template``: the document may be a CI template,
    so values holding placeholders (``<IMAGE1_NAME>``, ``${VAR}``) are listed, not judged; pass False for a
    registered or rendered task definition, where such a value is literally what ECS uses.
    """
    with placeholders_recognised(template):
        return _lint(doc, fargate)


def _lint(doc: dict[str, Any], fargate: bool) -> list[Finding]:
    td, prefix = unwrap(doc)
    if not isinstance(td, dict):
        return [_finding(Problem("", "fail", "The task definition must be a JSON object",
                                 f"Got {type(td).__name__ if td is not None else 'null'} instead of an object "
                                 "with family and containerDefinitions.", fix="Pass a task definition object."))]
    problems: list[Problem] = []
    check_top_level(td, problems, prefix)
    compat = td.get("requiresCompatibilities")
    declared = isinstance(compat, list) and "FARGATE" in compat
    scoped = general_rules(td, fargate=fargate or declared)
    if fargate or declared:
        scoped += fargate_rules(td, declared=declared)
    for p in scoped:
        p.path = f"{prefix}.{p.path}" if prefix and p.path else (p.path or prefix)
        if prefix:
            p.commands = [c.replace("jq 'del(.", f"jq 'del(.{prefix}.").replace("jq '.", f"jq '.{prefix}.")
                          for c in p.commands]
    problems += scoped
    nulls = [p.path for p in problems if p.kind == NULL_KIND]
    problems = [p for p in problems if p.kind != NULL_KIND]
    present = sorted(set(td) & read_only_members())
    findings = [_finding(p) for p in _dedupe(problems)]
    if nulls:
        findings.append(_null_summary(nulls, prefix))
    if len(findings) > MAX_FINDINGS:
        rest = len(findings) - MAX_FINDINGS
        findings = findings[:MAX_FINDINGS]
        findings.append(Finding(FINDING_ID, "fail", message=f"{rest} more problem(s) not shown",
                                detail=f"The task definition has {rest} more problem(s) than the {MAX_FINDINGS} listed.",
                                evidence=["$"], remediation=Remediation("Fix the problems listed and lint again.")))
    if not any(f.status == "fail" for f in findings):
        what = "for Fargate" if fargate or declared else "for its launch type"
        findings.insert(0, Finding(FINDING_ID, "pass", message=f"The task definition is valid {what}",
                                   detail=f"Every member is known to the ECS API with the right type, and the rules "
                                          f"{what} hold."))
    if present:
        findings.append(_read_only_info(present, prefix))
    templated = [(f"{prefix}.{path}" if prefix else path, token) for path, token in find_placeholders(td)]
    if templated:
        findings.append(_placeholder_info(templated))
    return findings


def _null_summary(paths: list[str], prefix: str) -> Finding:
    """One warning for every null member: console exports and old describe output hold dozens.

    The ECS console's JSON export and ``describe-task-definition`` from older CLIs write absent members as null.
    ``aws ecs register-task-definition --cli-input-json`` rejects them (botocore's parameter validation: "Invalid
    type for parameter ..., value: None"); deploy tools such as the amazon-ecs-deploy-task-definition action drop
    them first. Removing them changes nothing else in the document.
    """
    shown = ", ".join(paths[:MAX_LISTED]) + (f" and {len(paths) - MAX_LISTED} more" if len(paths) > MAX_LISTED else "")
    select = f".{prefix} |= " if prefix else ""
    command = f"jq '{select}del(..|nulls)' taskdef.json > taskdef.fixed.json"
    return Finding(FINDING_ID, "warn", message=f"{NULL_MESSAGE}: {len(paths)}",
                   detail=f"{shown} {'is' if len(paths) == 1 else 'are'} null. A null member means the same as an "
                          "absent one to the deploy tools that clean them, but aws ecs register-task-definition "
                          "--cli-input-json rejects null values (\"Invalid type for parameter ..., value: None\").",
                   evidence=paths, remediation=Remediation("Delete the null members (nothing else changes).", [command]))


def _placeholder_info(templated: list[tuple[str, str]]) -> Finding:
    """Advice, never a problem: the placeholders a CI tool fills in before the definition is registered."""
    tokens = list(dict.fromkeys(token for _, token in templated))
    paths = list(dict.fromkeys(path for path, _ in templated))
    shown = ", ".join(tokens[:MAX_LISTED]) + (f" and {len(tokens) - MAX_LISTED} more" if len(tokens) > MAX_LISTED else "")
    return Finding(FINDING_ID, "info", message=f"{PLACEHOLDER_MESSAGE}: {shown}",
                   detail="These placeholders are filled in by a deploy tool before registration (CodePipeline's ECS "
                          "actions replace <IMAGE1_NAME> with the image URI; envsubst, Terraform, ecspresso or Octopus "
                          "fill ${...}, {{...}}, #{...}). Values holding them are not judged; lint the rendered file "
                          "to check them too. See https://docs.aws.amazon.com/codepipeline/latest/userguide/"
                          "file-reference.html",
                   evidence=paths)


def _read_only_info(present: list[str], prefix: str) -> Finding:
    """Advice: a described task definition must lose its read-only members before it is registered again."""
    select = f".{prefix} | " if prefix else ""
    drop = ", ".join(f".{k}" for k in present)
    return Finding(FINDING_ID, "info", message=READ_ONLY_MESSAGE,
                   detail=f"{', '.join(present)} come from describe-task-definition; register-task-definition rejects them.",
                   evidence=[f"{prefix}.{k}" if prefix else k for k in present],
                   remediation=Remediation("Drop them before registering a new revision.",
                                           [f"jq '{select}del({drop})' taskdef.json > register.json"]))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.title) not in seen:
            seen.add((p.path, p.title))
            out.append(p)
    order = {"fail": 0, "warn": 1, "info": 2}
    return sorted(out, key=lambda p: order.get(p.status, 3))


def _finding(p: Problem) -> Finding:
    commands = [c if c.endswith(".json") or "taskdef.json" in c else f"{c} taskdef.json > taskdef.fixed.json"
                for c in p.commands]
    remediation = Remediation(p.fix, commands) if p.fix or commands else None
    detail = p.detail
    if p.doc_url and p.doc_url != REGISTER_DOC:  # the rule's own page; the catalogue links the API reference
        detail = f"{detail} See {p.doc_url}" if detail else f"See {p.doc_url}"
    return Finding(FINDING_ID, p.status, message=p.title, detail=detail, evidence=[p.path or "$"],
                   remediation=remediation)


__all__ = ["FINDING_ID", "READ_ONLY_MESSAGE", "jq_path", "lint_task_definition", "unwrap"]
