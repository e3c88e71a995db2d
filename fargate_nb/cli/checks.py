"""`fargate-nb checks`: list every check of the kit, the way a linter lists its rules.

Text: one line per check (id, steps, severity, title, AWS documentation URL). JSON: a list of objects with
every field of the check catalogue (`fargate_nb.checks.catalogue.CheckSpec`). Exit 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from fargate_nb.cli import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("checks", help="list every check (finding id) of the kit",
                       description="List the check catalogue: each check's finding id, the pull steps its "
                                   "findings sit on, its severity, what it checks and the AWS page that states "
                                   "the rule.")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one line per check; json: a list of objects with every catalogue field")
    p.set_defaults(func=run)


def catalogue_rows() -> list[dict[str, Any]]:
    """Every catalogue entry as a JSON-ready dict, in the order of the generated docs (by step, then id)."""
    from fargate_nb.checks.catalogue import in_order

    return [{**asdict(c), "steps": list(c.steps), "evidence": list(c.evidence), "calls": list(c.calls)}
            for c in in_order()]


def where(row: dict[str, Any]) -> str:
    """The steps column: the steps ('any' for all of them), 'per-destination' for network checks, '-' otherwise."""
    from fargate_nb.model import STEPS

    if row["per_target"]:
        return "per-destination"
    if set(row["steps"]) == set(STEPS):
        return "any"
    return ",".join(row["steps"]) or "-"


def render_text(rows: list[dict[str, Any]]) -> str:
    id_w = max(len(r["id"]) for r in rows)
    step_w = max(len(where(r)) for r in rows)
    sev_w = max(len(r["severity"]) for r in rows)
    lines = [f"{r['id']:<{id_w}}  {where(r):<{step_w}}  {r['severity']:<{sev_w}}  {r['title']}  {r['doc_url']}"
             for r in rows]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    rows = catalogue_rows()
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(rows))
    return EXIT_OK
