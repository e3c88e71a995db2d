"""The check catalogue as Markdown (`docs/findings.md` is generated from it).

Regenerate with ``python -m fargate_nb.checks.findings_doc > docs/findings.md``; a test keeps the two equal.
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

Generated from the check catalogue by `python -m fargate_nb.checks.findings_doc`.

| id | step | severity | what it checks | AWS documentation |
|---|---|---|---|---|
"""


def findings_markdown() -> str:
    from fargate_nb.checks.catalogue import CATALOGUE

    order = {s: i for i, s in enumerate(STEPS)}

    def where(c: object) -> str:
        return "per destination" if c.per_target else (", ".join(c.steps) if c.steps else "task definition")

    checks = sorted(CATALOGUE.values(), key=lambda c: (min((order[s] for s in c.steps), default=len(STEPS))
                                                      if not c.per_target else len(STEPS), c.id))
    rows = [f"| `{c.id}` | {where(c)} | {c.severity} | {c.title} | {c.doc_url or ''} |" for c in checks]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(findings_markdown(), end="")
