"""Progress bars a face draws while work runs: a report batch's, and an audit's (services done, failing,
unknown). tqdm on a terminal, an ipywidgets bar in a notebook, plain lines or nothing otherwise.
Light to import: the command line draws them before anything heavy is loaded."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO


class Progress:
    """A progress bar on a terminal (stderr), plain lines otherwise (CI logs, pipes)."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.label, self.done = total, label, 0
        self._bar = None
        if self.stream.isatty() and total:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, file=self.stream, leave=True)

    def step(self, what: str) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(what[:40])
            self._bar.update(1)
        else:
            print(f"{self.label} {self.done}/{self.total}: {what}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class AuditBar:
    """`AuditProgress` callbacks drawn as a bar with the services done, failing and unknown.

    On a terminal: a tqdm bar on ``stream`` (stderr). In a notebook (``notebook=True``): an
    ipywidgets progress bar and a line of counts. Otherwise (CI logs, pipes): quiet. The runner may
    report from several threads; updates are serialised.
    """

    def __init__(self, stream: TextIO | None = None, *, notebook: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.notebook = notebook
        self.enabled = notebook or self.stream.isatty()
        self.last: Any = None  # the latest AuditProgress
        self._lock = threading.Lock()
        self._bar: Any = None
        self._widgets: Any = None

    @staticmethod
    def counts(progress: Any) -> str:
        return f"{progress.done}/{progress.total} services, {progress.failing} failing, {progress.unknown} unknown"

    def __call__(self, progress: Any) -> None:
        with self._lock:
            self.last = progress
            if not self.enabled:
                return
            if self.notebook:
                self._draw_widget(progress)
                return
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=progress.total, desc="audit", unit="service", file=self.stream, leave=True)
            self._bar.total = progress.total
            self._bar.set_postfix_str(f"{progress.failing} failing, {progress.unknown} unknown", refresh=False)
            self._bar.update(progress.done - self._bar.n)

    def _draw_widget(self, progress: Any) -> None:
        if self._widgets is None:
            import ipywidgets as widgets
            from IPython.display import display

            bar = widgets.IntProgress(min=0, max=max(progress.total, 1), description="audit")
            label = widgets.Label()
            self._widgets = (bar, label)
            display(widgets.HBox([bar, label], layout=widgets.Layout(flex_flow="row wrap")))
        bar, label = self._widgets
        bar.max = max(progress.total, 1)
        bar.value = progress.done
        bar.bar_style = "danger" if progress.failing else "warning" if progress.unknown else "success"
        label.value = self.counts(progress)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
