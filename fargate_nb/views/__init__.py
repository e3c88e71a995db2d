"""Views of a Diagnosis: terminal text, pandas tables, the plotly sequence diagram, mermaid, widgets.

Imports are lazy, so the CLI's text view does not pay for pandas, plotly or ipywidgets:
``from fargate_nb.views import sequence_figure`` loads the diagram module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "render_text": "text",
    "sequence_figure": "diagram", "STATUS_COLOURS": "diagram",
    "to_mermaid": "mermaid", "escape_mermaid": "mermaid",
    "permissions_table": "tables", "network_table": "tables", "findings_table": "tables",
    "style_permissions": "tables", "style_network": "tables", "style_findings": "tables",
    "endpoints_table": "tables",
    "TaskPicker": "widgets", "WhatIfPanel": "widgets", "FixChecker": "widgets",
    "setup_notebook": "notebook", "show": "notebook", "report_bundles": "notebook",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fargate_nb.views' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
