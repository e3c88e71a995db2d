"""The finding-id catalogue as Markdown (`docs/findings.md` is generated from the registry).

Regenerate with ``python -m fargate_nb.checks.catalogue > docs/findings.md``; a test keeps the two equal.
"""

from __future__ import annotations

from fargate_nb.model import STEPS

HEADER = """# Finding ids

Every check of the kit, by step. The ids are a public contract (see DESIGN.md): tests, reports
and users rely on them. A check returns its findings with a status: `pass`, `fail`, `warn`,
`unknown` (evidence could not be read; the finding names the missing permission), `skipped`
(not needed by this task) or `info` (advice that does not affect the pull). Network findings carry
a `target`: `ecr.api`, `ecr.dkr`, `s3`, `logs`, `secretsmanager`, `ssm` or a registry host; their
findings take the step of the destination they concern.

Generated from the check registry by `python -m fargate_nb.checks.catalogue`.

| id | step | severity | what it checks | AWS documentation |
|---|---|---|---|---|
"""


def findings_markdown() -> str:
    from fargate_nb.checks import load_all

    order = {s: i for i, s in enumerate(STEPS)}
    checks = sorted(load_all().values(), key=lambda c: (order.get(c.step, len(STEPS)) if c.step else len(STEPS) + 1, c.id))
    rows = [f"| `{c.id}` | {c.step or 'any'} | {c.severity} | {c.title} | {c.doc_url or ''} |" for c in checks]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(findings_markdown(), end="")
