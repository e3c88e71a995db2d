"""The postmortem draft (NAME.md): the verdict first, then the detail an engineer needs.

Sections: summary, timeline, stopped reason, findings with fixes, pull steps, the sequence diagram
as mermaid, the evidence appendix, what could not be read, and follow-ups to fill in.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fargate_nb import __version__
from fargate_nb.model import Diagnosis, Snapshot
from fargate_nb.report.evidence import evidence_appendix
from fargate_nb.report.names import parse_time
from fargate_nb.views.markdown import (
    Raw,
    code_span,
    fenced,
    findings_section,
    gaps_section,
    md_escape,
    overall_status,
    steps_table,
    stopped_section,
    subject_line,
    table,
    verdict_block,
)

#: (task field, what happened) in the order they happen.
TIMELINE_EVENTS = (
    ("createdAt", "Task created"),
    ("pullStartedAt", "Image pull started"),
    ("pullStoppedAt", "Image pull stopped"),
    ("startedAt", "Task started"),
    ("stoppingAt", "Task stopping"),
    ("executionStoppedAt", "Containers stopped"),
    ("stoppedAt", "Task stopped"),
)


@dataclass
class Provenance:
    """Who generated the report, when, with which kit, against which account and region."""

    generated_by: str
    generated_at: datetime
    kit_version: str
    account: str
    region: str
    shared_by: list[str] = field(default_factory=list)  # task ARNs that failed the same way

    @classmethod
    def of(cls, snapshot: Snapshot, *, when: datetime | None = None,
           shared_by: Sequence[str] | None = None) -> Provenance:
        return cls(generated_by=generated_by(snapshot), generated_at=when or datetime.now(UTC),
                   kit_version=__version__, account=snapshot.account or "unknown",
                   region=snapshot.region or "unknown", shared_by=list(shared_by or []))

    def facts(self) -> list[tuple[str, str]]:
        facts = [("Generated", f"{format_time(self.generated_at)} by {self.generated_by}"),
                 ("Kit", f"fargate-nb {self.kit_version}"),
                 ("Account / region", f"{self.account} / {self.region}")]
        if self.shared_by:
            facts.append(("Tasks with this failure", str(len(self.shared_by))))
        return facts


def generated_by(snapshot: Snapshot) -> str:
    """The caller identity ARN recorded in the snapshot, else the local OS user."""
    arn = (snapshot.caller or {}).get("Arn")
    if arn:
        return str(arn)
    try:
        return f"local user {getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry / no login name (containers)
        return "an unknown local user"


def format_time(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else "unknown"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {(seconds % 3600) // 60} min"


def timeline_section(snapshot: Snapshot) -> str:
    """The task's life from its timestamps, with the time since creation; what was not recorded is left out."""
    task = snapshot.task or {}
    if not task:
        kind = (snapshot.subject or {}).get("kind") or "subject"
        return (f"Unknown: the {md_escape(kind)} was diagnosed without a task to time "
                "(a service's current configuration, or a task no longer visible; stopped tasks stay "
                "visible for about an hour). Take the times from the service events or your alerts.")
    created = parse_time(task.get("createdAt"))
    rows = []
    for key, what in TIMELINE_EVENTS:
        when = parse_time(task.get(key))
        if when is None:  # what was not recorded is left out
            continue
        since = _duration((when - created).total_seconds()) if when and created else "-"
        rows.append((what, Raw(code_span(key)), format_time(when), since))
    if not rows:
        return ("The task record carries no timestamps; take the times from the service events, "
                "CloudTrail or your alerts.")
    out = [table(("event", "field", "time", "since created"), rows)]
    pull_start, pull_stop = parse_time(task.get("pullStartedAt")), parse_time(task.get("pullStoppedAt"))
    if pull_start and pull_stop:
        out.append(f"\nThe image pull took {_duration((pull_stop - pull_start).total_seconds())}.")
    elif not pull_start and task.get("stoppedAt"):
        out.append("\nNo pull start was recorded: the task stopped before (or while) the pull began — "
                   "typically the execution role, registry authentication or secrets step.")
    return "\n".join(out)


def summary_section(diagnosis: Diagnosis, provenance: Provenance) -> str:
    """What happened and what to do, in three or four sentences."""
    lines = [f"- **Subject:** {subject_line(diagnosis)}",
             f"- **Verdict:** {md_escape(diagnosis.verdict)}"]
    failed = diagnosis.failed
    if failed:
        first = failed[0]
        fix = first.remediation.summary if first.remediation else "see the finding below"
        lines.append(f"- **First thing to fix:** {md_escape(first.text)} — {md_escape(fix)}")
        if len(failed) > 1:
            lines.append(f"- **Other failing checks:** {len(failed) - 1} more (all listed below)")
    unknown = [f for f in diagnosis.findings if f.status == "unknown"]
    if unknown:
        lines.append(f"- **Could not be decided:** {len(unknown)} check(s); see *What could not be read*")
    if provenance.shared_by:
        ids = ", ".join(code_span(a.rsplit("/", 1)[-1]) for a in provenance.shared_by[:10])
        more = f" and {len(provenance.shared_by) - 10} more" if len(provenance.shared_by) > 10 else ""
        lines.append(f"- **Tasks that failed this way:** {len(provenance.shared_by)} ({ids}{more})")
    return "\n".join(lines)


def mermaid_section(snapshot: Snapshot, diagnosis: Diagnosis) -> str:
    """The sequence diagram as mermaid (renders on GitHub/GitLab), failing call marked ✗."""
    try:
        from fargate_nb.views.mermaid import to_mermaid

        source = to_mermaid(diagnosis)
    except Exception as exc:  # a drawing bug must not cost the postmortem
        return f"The diagram could not be drawn ({md_escape(type(exc).__name__)}: {md_escape(exc)})."
    return fenced(source, "mermaid")


def redaction_fact(snapshot: Snapshot) -> tuple[str, str]:
    """What the evidence leaves out on purpose (values no check needs), said in every report."""
    said = ", ".join(snapshot.redacted) if snapshot.redacted else "none were present"
    return ("Values redacted", f"{said} (names are kept; values no check needs never enter the evidence)")


def postmortem_markdown(snapshot: Snapshot, diagnosis: Diagnosis, *, title: str,
                        provenance: Provenance | None = None, snapshot_file: str | None = None,
                        diagnosis_file: str | None = None) -> str:
    """The whole postmortem draft as Markdown."""
    prov = provenance or Provenance.of(snapshot)
    facts = table(("", ""), [(k, v) for k, v in prov.facts()]
                  + [("Evidence collected", snapshot.collected_at or "unknown"),
                     ("Status", overall_status(diagnosis)), redaction_fact(snapshot)])
    files = " and ".join(code_span(f) for f in (diagnosis_file, snapshot_file) if f)
    parts = [
        f"# {md_escape(title)}", "", verdict_block(diagnosis), "", facts, "",
        "## Summary", "", summary_section(diagnosis, prov), "",
        "## Timeline", "", timeline_section(snapshot), "",
        "## Stopped reason", "", stopped_section(diagnosis), "",
        "## Findings and fixes", "", findings_section(diagnosis), "",
        "## Pull steps", "", steps_table(diagnosis), "",
        "## Sequence diagram", "", mermaid_section(snapshot, diagnosis), "",
        "## Evidence", "", evidence_appendix(snapshot, snapshot_file), "",
        "## What could not be read", "", gaps_section(diagnosis.gaps), "",
        "## Follow-ups", "",
        "- [ ] Apply the fix above and confirm a new task pulls its image.",
        "- [ ] Add a guard so this cannot recur (policy review, infrastructure test, alarm on stopped tasks).",
        "- [ ] Impact: _fill in (what was down, for how long, who noticed)._", "",
        "---", "",
        f"Draft generated by fargate-nb {md_escape(prov.kit_version)}"
        + (f"; machine-readable diagnosis in {files}." if files else "."),
    ]
    return "\n".join(parts) + "\n"
