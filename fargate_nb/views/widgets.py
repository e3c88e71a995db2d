"""Interactive widgets: pick a task and diagnose it (`TaskPicker`), try fixes offline (`WhatIfPanel`),
and check a lab fix (`FixChecker`).

Widgets receive data and callbacks (discovery, diagnosis, what-if, fix checking), never the
collector or the sandbox: `fargate_nb.investigation` supplies the callbacks, and tests give plain
functions. They render into an `ipywidgets.Output` by setting its ``outputs`` directly (kernel
side), so they work without a browser (tests drive them with ``.value`` and ``.click()``) and never
block a headless papermill run. Errors become a message in the widget, never a traceback.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

import ipywidgets as widgets

from fargate_nb.model import Diagnosis, Finding, Snapshot
from fargate_nb.views.diagram import clean

#: diagnose(cluster=, task=|service=, region=) -> (snapshot, diagnosis)
DiagnoseTarget = Callable[..., tuple[Snapshot, Diagnosis]]
#: what_if(fixes) -> the diagnosis of the evidence with those fixes applied
WhatIf = Callable[[list[dict[str, Any]]], Diagnosis]


class Discovery(Protocol):
    """What the task picker lists (see `fargate_nb.investigation.Discovery`)."""

    def clusters(self, region: str | None) -> list[Any]: ...
    def stopped_tasks(self, region: str | None, cluster: str, since: timedelta) -> list[Any]: ...
    def services(self, region: str | None, cluster: str) -> list[Any]: ...


def _error_text(exc: BaseException) -> str:
    return clean(f"{type(exc).__name__}: {exc}", 500)


def _pick(item: Any, *names: str) -> Any:
    """A field of a discovery result, whether it is a dict or an object."""
    for name in names:
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if value not in (None, ""):
            return value
    return None


class TaskPicker:
    """Region → cluster → a recent stopped task (newest first, with its reason) or a service → Diagnose.

    Defaults come from the notebook's papermill parameters. ``discovery`` lists clusters, stopped
    tasks and services; ``diagnose`` diagnoses the one picked; ``on_result(snapshot, diagnosis)`` is
    called after a successful diagnosis (without it the views are drawn below the picker).
    """

    def __init__(self, discovery: Discovery, diagnose: DiagnoseTarget, *, region: str | None = None,
                 cluster: str | None = None, task: str | None = None, service: str | None = None,
                 since_hours: float = 1.0, on_result: Callable[[Snapshot, Diagnosis], None] | None = None,
                 autoload: bool = True) -> None:
        self.discovery = discovery
        self.diagnose = diagnose
        self.since_hours = since_hours
        self.on_result = on_result
        self._wanted = {"cluster": cluster, "task": task, "service": service}
        self.snapshot: Snapshot | None = None
        self.diagnosis: Diagnosis | None = None
        self.error: str | None = None
        self.region = widgets.Text(value=region or "", description="Region", placeholder="e.g. eu-west-1")
        self.cluster = widgets.Dropdown(options=[], description="Cluster")
        self.target = widgets.Dropdown(options=[], description="Task", layout=widgets.Layout(width="70%"))
        self.load_button = widgets.Button(description="Load clusters", icon="refresh")
        self.diagnose_button = widgets.Button(description="Diagnose", button_style="danger", icon="stethoscope")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.load_button.on_click(lambda _: self.load_clusters())
        self.diagnose_button.on_click(lambda _: self.run())
        self.cluster.observe(lambda change: self.load_targets(), names="value")
        self.box = widgets.VBox([widgets.HBox([self.region, self.load_button]), self.cluster,
                                 widgets.HBox([self.target, self.diagnose_button]), self.status, self.output])
        if autoload:
            self.load_clusters()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    # -- discovery -----------------------------------------------------------------------------
    def _region(self) -> str | None:
        return self.region.value.strip() or None

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#c62828" if error else "#455a64"
        self.status.value = f'<span style="color:{colour}">{html.escape(clean(text, 600))}</span>'
        self.error = clean(text, 600) if error else None

    def load_clusters(self) -> None:
        """List the region's clusters; select the wanted one (parameter) or the first."""
        try:
            clusters = self.discovery.clusters(self._region())
        except Exception as exc:  # no credentials, denied, unreachable: say so in the widget
            self._say(f"could not list clusters: {_error_text(exc)}", error=True)
            return
        options = []
        for c in clusters or []:
            arn = _pick(c, "clusterArn", "arn") or (c if isinstance(c, str) else None)
            name = _pick(c, "clusterName", "name") or (str(arn).rsplit("/", 1)[-1] if arn else None)
            if name:
                options.append((clean(name, 80), name))
        # Said first: selecting a cluster lists its tasks, whose status (or error) must stay on screen.
        self._say(f"{len(options)} cluster(s)" if options else "no clusters in this region")
        before = self.cluster.value
        self.cluster.options = options
        wanted = self._wanted.get("cluster")
        names = [v for _, v in options]
        if wanted and wanted.rsplit("/", 1)[-1] in names:
            self.cluster.value = wanted.rsplit("/", 1)[-1]
        elif names and self.cluster.value is None:
            self.cluster.value = names[0]
        if self.cluster.value and self.cluster.value == before:
            self.load_targets()  # otherwise the cluster observer has just done it

    def load_targets(self) -> None:
        """Recent stopped tasks (newest first, with their stopped reason), then the cluster's services."""
        cluster = self.cluster.value
        if not cluster:
            self.target.options = []
            return
        try:
            tasks = list(self.discovery.stopped_tasks(self._region(), cluster, timedelta(hours=self.since_hours)) or [])
            services = list(self.discovery.services(self._region(), cluster) or [])
        except Exception as exc:
            self._say(f"could not list tasks of {cluster}: {_error_text(exc)}", error=True)
            return
        tasks.sort(key=lambda t: str(_pick(t, "stoppedAt", "stopped_at") or ""), reverse=True)
        options: list[tuple[str, tuple[str, str]]] = []
        for t in tasks:
            arn = _pick(t, "taskArn", "arn")
            if not arn:
                continue
            reason = _pick(t, "stoppedReason", "reason") or ""
            when = _pick(t, "stoppedAt", "stopped_at") or ""
            stopped = f"stopped {str(when)[:19]}" if when else "stopped"
            label = f"task {str(arn).rsplit('/', 1)[-1][:12]} · {stopped} · {clean(reason, 90)}"
            options.append((label, ("task", str(arn))))
        for s in services:
            name = _pick(s, "serviceName", "name") or (s.rsplit("/", 1)[-1] if isinstance(s, str) else None)
            if name:
                options.append((f"service {clean(name, 80)}", ("service", str(name))))
        self.target.options = options
        values = [v for _, v in options]
        for kind in ("task", "service"):
            wanted = self._wanted.get(kind)
            match = next((v for v in values if v[0] == kind and wanted and
                          (v[1] == wanted or v[1].rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1])), None)
            if match:
                self.target.value = match
                break
        else:
            if values and self.target.value is None:
                self.target.value = values[0]  # newest stopped task first
        self._say(f"{len(tasks)} stopped task(s) in the last {self.since_hours:g} h, {len(services)} service(s)")

    # -- diagnosis -----------------------------------------------------------------------------
    def run(self) -> Diagnosis | None:
        """Diagnose the selected task or service (the Diagnose button)."""
        cluster = self.cluster.value or self._wanted.get("cluster")
        choice = self.target.value
        if not cluster or not choice:
            self._say("pick a cluster and a task or service first", error=True)
            return None
        kind, ident = choice
        self._say(f"diagnosing {kind} {ident} …")
        try:
            snapshot, diagnosis = self.diagnose(cluster=cluster, task=ident if kind == "task" else None,
                                                service=ident if kind == "service" else None, region=self._region())
        except Exception as exc:
            self._say(f"could not diagnose {kind} {ident}: {_error_text(exc)}", error=True)
            return None
        self.snapshot, self.diagnosis = snapshot, diagnosis
        self._say(diagnosis.verdict, error=False)
        if self.on_result is not None:
            self.on_result(snapshot, diagnosis)
        else:
            from fargate_nb.views.notebook import report_bundles

            self.output.outputs = tuple(report_bundles(diagnosis))
        return diagnosis


def fixable(diagnosis: Diagnosis) -> list[Finding]:
    """Findings whose remediation carries a what-if fix, problems only, one per distinct fix."""
    seen: list[Any] = []
    out = []
    for f in diagnosis.findings:
        fix = f.remediation.fix if f.remediation else None
        if f.status in ("fail", "warn", "unknown") and fix and fix not in seen:
            seen.append(fix)
            out.append(f)
    return out


class WhatIfPanel:
    """Tick the fixes the findings propose; each tick re-diagnoses a patched copy (no AWS call).

    ``what_if(fixes)`` returns the diagnosis with the fixes applied (`Investigation.what_if_diagnosis`).
    ``current_diagnosis`` and ``figure`` always describe what is on screen.
    """

    def __init__(self, diagnosis: Diagnosis, what_if: WhatIf, *, render: bool = True) -> None:
        self.diagnosis = diagnosis
        self.what_if = what_if
        self.current_diagnosis = diagnosis
        self.figure: Any = None
        self.error: str | None = None
        self._render_views = render
        self.findings = fixable(diagnosis)
        self.checkboxes = [
            widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="auto"),
                             description=clean(f"{f.label}: {f.remediation.summary if f.remediation else ''}", 140))
            for f in self.findings
        ]
        for box in self.checkboxes:
            box.observe(lambda change: self.refresh(), names="value")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        header = widgets.HTML("<b>What if…</b> tick a fix to see the pull with it applied "
                              "(a copy of the evidence is patched; AWS is not called)."
                              if self.findings else "<i>No finding proposes a fix that can be tried here.</i>")
        self.box = widgets.VBox([header, *self.checkboxes, self.status, self.output])
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    @property
    def selected_fixes(self) -> list[dict[str, Any]]:
        return [f.remediation.fix for f, box in zip(self.findings, self.checkboxes, strict=True)
                if box.value and f.remediation and f.remediation.fix]

    def select(self, finding_id: str, value: bool = True) -> None:
        """Tick (or untick) the fix of the first fixable finding with this id."""
        for f, box in zip(self.findings, self.checkboxes, strict=True):
            if f.id == finding_id:
                box.value = value
                return
        raise KeyError(f"no fixable finding {finding_id!r}")

    def refresh(self) -> None:
        """Ask for the diagnosis with the ticked fixes and redraw."""
        fixes = self.selected_fixes
        try:
            result = self.what_if(fixes) if fixes else self.diagnosis
        except Exception as exc:  # a fix that does not apply must not break the panel
            self.error = _error_text(exc)
            self.status.value = f'<span style="color:#c62828">could not apply the fixes: {html.escape(self.error)}</span>'
            return
        self.error = None
        self.current_diagnosis = result
        applied = f"{len(fixes)} fix(es) applied — " if fixes else ""
        self.status.value = (f'<span class="fargate-nb-whatif-verdict" data-status="{html.escape(result.status)}">'
                             f"<b>{html.escape(applied)}</b>{html.escape(clean(result.verdict, 400))}</span>")
        from fargate_nb.views.diagram import sequence_figure

        self.figure = sequence_figure(result)
        if self._render_views:
            from fargate_nb.views.notebook import report_bundles

            self.output.outputs = tuple(report_bundles(result, parts=("verdict", "diagram", "findings"),
                                                       figure=self.figure))


class FixChecker:
    """"Check my fix": asks ``check_fix()`` (`Investigation.check_fix`) whether the pull works now.

    ``check_fix`` returns an object with ``fixed``, ``still_failing`` and ``verdict``. Interactive:
    a button. Headless (``interactive=False``): `check` runs once and the result is shown.
    """

    def __init__(self, check_fix: Callable[[], Any], *, interactive: bool = True) -> None:
        self.check_fix = check_fix
        self.interactive = interactive
        self.passed: bool | None = None
        self.button = widgets.Button(description="Check my fix", button_style="success", icon="check")
        self.result = widgets.HTML()
        self.button.on_click(lambda _: self.check())
        self.box = widgets.VBox([self.button, self.result] if interactive else [self.result])
        if not interactive:
            self.check()

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        display(self.box if self.interactive else HTML(self.result.value))  # headless: plain HTML survives export

    def check(self) -> bool | None:
        try:
            answer = self.check_fix()
        except Exception as exc:
            self._show(None, f"the fix could not be checked: {_error_text(exc)}")
            return None
        if answer.fixed:
            self._show(True, f"fixed: {answer.verdict}")
            return True
        self._show(False, f"not yet: still failing {', '.join(answer.still_failing)} — {answer.verdict}")
        return False

    def _show(self, passed: bool | None, text: str) -> None:
        self.passed = passed
        colour = {True: "#2e7d32", False: "#c62828", None: "#757575"}[passed]
        mark = {True: "✓", False: "✗", None: "?"}[passed]
        self.result.value = (f'<div class="fargate-nb-fix-check" data-passed="{str(passed).lower()}" '
                             f'style="color:{colour};font-weight:bold">{mark} {html.escape(clean(text, 800))}</div>')


class StopButton:
    """Stop what a notebook started (the sandbox) when the user says so, not when "Run all" ends.

    ``stop()`` is called on the click; headless (``interactive=False``) it is called at once.
    """

    def __init__(self, stop: Callable[[], None], *, interactive: bool = True,
                 description: str = "Stop the sandbox") -> None:
        self.stop = stop
        self.stopped = False
        self.button = widgets.Button(description=description, icon="stop", button_style="warning")
        self.result = widgets.HTML()
        self.button.on_click(lambda _: self.click())
        self.box = widgets.HBox([self.button, self.result])
        self.interactive = interactive
        if not interactive:
            self.click()

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        display(self.box if self.interactive else HTML(self.result.value))

    def click(self) -> None:
        try:
            self.stop()
        except Exception as exc:
            self.result.value = f'<span style="color:#c62828">could not stop: {html.escape(_error_text(exc))}</span>'
            return
        self.stopped = True
        self.button.disabled = True
        self.result.value = '<span class="fargate-nb-stopped-sandbox">stopped: nothing is left running</span>'


class Reveal:
    """Sections the reader opens when ready ("Show a hint", "Show the solution"), closed at first.

    ``sections`` maps a title to display bundles (`fargate_nb.views.notebook.report_bundles` and
    friends). Headless (``interactive=False``) every section is shown under its title, so a report
    keeps the content.
    """

    def __init__(self, sections: dict[str, list[dict[str, Any]]], *, interactive: bool = True) -> None:
        self.sections = sections
        self.interactive = interactive
        outputs = []
        for bundles in sections.values():
            out = widgets.Output()
            out.outputs = tuple(bundles)
            outputs.append(out)
        self.accordion = widgets.Accordion(children=outputs, titles=tuple(sections), selected_index=None)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        if self.interactive:
            display(self.accordion)
            return
        for title, bundles in self.sections.items():
            display(HTML(f"<h4>{html.escape(clean(title, 200))}</h4>"))
            for bundle in bundles:
                display(bundle["data"], metadata=dict(bundle.get("metadata") or {}), raw=True)
