"""Offline HTML: no CDN, no remote scripts, plotly.js once, code hidden, the header escaped."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fargate_nb.report.export import (
    PLOTLY_MARKER,
    error_outputs,
    header_html,
    make_offline,
    notebook_to_html,
    remote_references,
)

REMOTE_BITS = [
    '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"></script>',
    "<script src='//cdn.example/require.js' async></script>",
    '<link rel="stylesheet" href="https://unpkg.com/x.css">',
    '<script type="module">import "https://cdn.plot.ly/plotly-3.0.0.min"</script>',
    '<script type="module">const m = (await import("https://cdn.example/mermaid.mjs")).default;</script>',
    "<style>@import url(https://fonts.example/css);</style>",
]


def test_make_offline_removes_every_remote_reference_and_keeps_local_scripts():
    page = ("<html><head></head><body>" + "".join(REMOTE_BITS)
            + '<script>var local = 1;</script><a href="https://docs.aws.amazon.com/">docs</a></body></html>')
    assert len(remote_references(page)) == len(REMOTE_BITS)
    out = make_offline(page)
    assert remote_references(out) == []
    assert "var local = 1;" in out and 'href="https://docs.aws.amazon.com/"' in out  # a link is not a load


def test_plotly_js_is_embedded_once_when_figures_need_it():
    page = "<html><head></head><body><script>Plotly.newPlot('d', [], {})</script></body></html>"
    out = make_offline(page)
    assert out.count(PLOTLY_MARKER) == 1 and out.index(PLOTLY_MARKER) < out.index("Plotly.newPlot('d'")
    assert make_offline(out).count(PLOTLY_MARKER) == 1
    assert PLOTLY_MARKER not in make_offline("<html><head></head><body>no figures</body></html>")


def test_header_escapes_everything():
    h = header_html("<t>", "fail", "<script>x</script>", [("who", "<img src=x onerror=y>")])
    assert "<script>" not in h and "<img" not in h and "&lt;img src=x onerror=y&gt;" in h
    assert 'class="fnb-header fnb-fail"' in h


def _notebook():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    code = new_code_cell("secret_code_line = 1", execution_count=1)
    code.outputs = [
        new_output("display_data", data={"text/html": '<div class="part">table<script src="https://cdn/x.js">'
                                                      "</script></div>", "text/plain": "t"}),
        new_output("display_data", data={"text/vnd.mermaid": "sequenceDiagram\n A->>B: <script>m</script>",
                                         "text/plain": "m"}),
    ]
    return nbformat.from_dict(nb | {"cells": [new_markdown_cell("# Title cell"), code]})


def test_notebook_to_html_hides_code_and_needs_no_network():
    page = notebook_to_html(_notebook(), title="<T>", header=header_html("<T>", "pass", "ok", []))
    assert "secret_code_line" not in page
    assert remote_references(page) == []
    assert "require.min.js" not in page and "cdnjs" not in page
    assert "@jupyter-widgets/html-manager" not in page and "unpkg" not in page
    assert "&lt;script&gt;m&lt;/script&gt;" in page and "<script>m</script>" not in page  # mermaid escaped
    assert "<title>&lt;T&gt;</title>" in page
    assert page.index('id="fnb-verdict"') < page.index("Title cell")


def test_error_outputs_collects_exceptions_and_error_parts():
    nb = _notebook()
    nb.cells[1].outputs.append(new_output("error", ename="KeyError", evalue="'x'", traceback=[]))
    nb.cells[1].outputs.append(new_output("display_data", data={"text/plain": "error: snapshot is broken"},
                                          metadata={"fargate_nb": "error"}))
    assert error_outputs(nb) == ["KeyError: 'x'", "error: snapshot is broken"]
    assert error_outputs(_notebook()) == []
