"""The check catalogue as Markdown (`docs/findings.md` is generated from it).

Regenerate with ``python -m fargate_nb.checks.findings_doc > docs/findings.md``; a test keeps the two equal.
"""

from __future__ import annotations

HEADER = """# Finding ids

Every check of the kit, by step. The ids are a public contract (see DESIGN.md): tests, reports
and users rely on them. A check returns its findings with a status: `pass`, `fail`, `warn`,
`unknown` (evidence could not be read; the finding names the missing permission), `skipped`
(not needed by this task) or `info` (advice that does not affect the pull). Network findings carry
a `target`: `ecr.api`, `ecr.dkr`, `s3`, `logs`, `secretsmanager`, `ssm` or a registry host; their
findings take the step of the destination they concern.

Generated from the check catalogue by `python -m fargate_nb.checks.findings_doc`.

| id | step | severity | what it checks | why | AWS documentation |
|---|---|---|---|---|---|
"""


def findings_markdown() -> str:
    from fargate_nb.checks.catalogue import in_order

    def where(c: object) -> str:
        return "per destination" if c.per_target else (", ".join(c.steps) if c.steps else "none (task-wide)")

    rows = [f"| `{c.id}` | {where(c)} | {c.severity} | {_cell(c.title)} | {_cell(c.description)} | {c.doc_url or ''} |"
            for c in in_order()]
    return HEADER + "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


if __name__ == "__main__":  # pragma: no cover
    print(findings_markdown(), end="")
