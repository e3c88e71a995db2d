"""`fargate-nb demo`: a lab scenario diagnosed in a sandbox of its own, its report under fixed names."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fargate_nb.files import private_dir, private_file, write_text_atomic
from fargate_nb.investigation.labs import get_scenario, open_scenario, start_sandbox
from fargate_nb.model import Diagnosis

# -- the demo ----------------------------------------------------------------------------------
#: The stem of the files `write_demo` owns in its folder: NAME.snapshot.json, .json, .html, .md, .ipynb.
DEMO_STEM = "report"


@dataclass(frozen=True)
class Demo:
    """What `write_demo` did: the scenario, its diagnosis, and the report's files in their final place."""

    scenario: Any
    diagnosis: Diagnosis
    paths: Any  # fargate_nb.report.ReportPaths


def write_demo(scenario_id: str | None, out_dir: str | os.PathLike[str], *,
               progress: Callable[[str], None] | None = None) -> Demo:
    """Diagnose a lab scenario in a sandbox of its own and write its report into ``out_dir`` under fixed names.

    Each run replaces the files of the previous one (`DEMO_STEM`), nothing else in the folder: the
    report is produced in a hidden folder inside ``out_dir`` and each file is then renamed over its
    predecessor, so a failed run leaves the previous demo as it was. ``progress`` is told each phase.
    Raises `ScenarioError` (unknown scenario), `fargate_nb.report.ReportError` or `OSError`.
    """
    import shutil
    import tempfile

    import nbformat

    from fargate_nb.report import ReportPaths, generate_report

    say = progress or (lambda _message: None)
    scenario = get_scenario(scenario_id)
    out = Path(out_dir)
    say("starting the local sandbox (moto on 127.0.0.1)")
    sandbox = start_sandbox(activate=False)
    try:
        say(f"provisioning scenario {scenario.id}, collecting its evidence (read-only calls) and diagnosing it")
        found = open_scenario(scenario.id, sandbox=sandbox, activate=False)
    finally:
        say("stopping the sandbox (the report runs on the collected snapshot)")
        sandbox.stop()
    private_dir(out)
    staging = Path(tempfile.mkdtemp(prefix=".fargate-nb-demo-", dir=out))
    try:
        say("running the report notebook (papermill) and exporting it to HTML and Markdown")
        staged = generate_report(found.snapshot, staging, title=f"Demo: {scenario.title}",
                                 diagnosis=found.diagnosis, name=DEMO_STEM)
        final = ReportPaths(*(out / p.name for p in staged.all()))
        nb = nbformat.read(staged.ipynb, as_version=4)
        nb.metadata.setdefault("papermill", {})["output_path"] = str(final.ipynb)  # not the staging folder
        write_text_atomic(staged.ipynb, nbformat.writes(nb))  # private (0600), like every file of the report
        say(f"replacing the previous demo's files in {out}")
        for src, dst in zip(staged.all(), final.all(), strict=True):
            os.replace(private_file(src), dst)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Demo(scenario, found.diagnosis, final)
