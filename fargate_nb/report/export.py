"""Executed notebook → one self-contained HTML file that opens with the network off.

nbconvert's `lab` template loads require.js, MathJax, mermaid.js and the widget manager from CDNs;
plotly's notebook output adds a MathJax CDN tag to every figure. The template below drops those
blocks, and `make_offline` removes any remote script or stylesheet an output still carries and
embeds plotly.js once when figures need it. Code is hidden, and cells tagged ``report-hide`` are
left out: the reader sees the results only.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nbformat

PLOTLY_MARKER = "* plotly.js v"
#: Cells tagged so are run but left out of the report: notebook instructions, the title (the banner
#: carries it), interactive-only sections and the sandbox's stop button.
REPORT_HIDE_TAG = "report-hide"

#: Extends nbconvert's lab template: no CDN scripts, escaped mermaid source, a report header.
OFFLINE_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_css -%}
<style type="text/css">{{ resources.fnb_css }}</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.fnb_header }}
{%- endblock body_header -%}
{% block data_mermaid scoped -%}
<div class="jp-Mermaid jp-OutputArea-output">
<pre class="mermaid">{{ output.data['text/vnd.mermaid'].strip() | escape_html }}</pre>
</div>
{%- endblock data_mermaid %}
"""

REPORT_CSS = """
.fnb-header { margin: 1.5em auto 1em; max-width: 1100px; padding: 1em 1.5em; border-radius: 6px;
  font-family: var(--jp-ui-font-family, sans-serif); border-left: 8px solid #888; background: #f6f6f6; }
.fnb-header.fnb-fail { border-left-color: #c62828; background: #fdecea; }
.fnb-header.fnb-pass { border-left-color: #2e7d32; background: #edf7ed; }
.fnb-header.fnb-warn, .fnb-header.fnb-unknown { border-left-color: #ed6c02; background: #fff4e5; }
.fnb-header h1 { font-size: 1.4em; margin: 0 0 .4em; }
.fnb-header .fnb-verdict { font-size: 1.15em; font-weight: 600; margin: 0 0 .6em; }
.fnb-header dl { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; margin: 0; font-size: .9em; }
.fnb-header dt { font-weight: 600; }
.fnb-header dd { margin: 0; overflow-wrap: anywhere; }
/* Fit the page: outputs never widen it (a wide table scrolls inside its own box). */
.jp-OutputArea-child, .jp-OutputArea-output, .jp-Cell-outputWrapper, .jp-Cell { min-width: 0; max-width: 100%; }
.jp-OutputArea-output { overflow-x: auto; }
.jp-RenderedHTMLCommon pre, .jp-Mermaid pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.fargate-nb-findings details > summary { cursor: pointer; margin: .5em 0; color: #455a64; }
"""

_REMOTE = r"""(?:https?:)?//"""
_REMOTE_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?""" + _REMOTE + r"""[^>]*>\s*</script\s*>""", re.IGNORECASE)
_REMOTE_LINK = re.compile(r"""<link\b[^>]*\bhref\s*=\s*["']?""" + _REMOTE + r"""[^>]*>""", re.IGNORECASE)
_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_REMOTE_IMPORT = re.compile(r"""\bimport\s*\(?\s*["'`]""" + _REMOTE, re.IGNORECASE)
_CSS_REMOTE_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?""" + _REMOTE + r"""[^;]*;""", re.IGNORECASE)
_REMOVED = "<!-- fargate-nb: remote resource removed so the report opens offline -->"


def header_html(title: str, status: str, verdict: str, facts: list[tuple[str, str]]) -> str:
    """The banner at the top of the report: title, verdict, who/when/what. All text escaped."""
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    return (f'<header class="fnb-header fnb-{html.escape(status)}" id="fnb-verdict">'
            f"<h1>{html.escape(title)}</h1>"
            f'<p class="fnb-verdict">{html.escape(verdict)}</p><dl>{rows}</dl></header>')


def make_offline(page: str, plotlyjs_src: str | None = None) -> str:
    """Remove everything that would fetch from the network; embed plotly.js once when needed.

    ``plotlyjs_src`` (a file next to the page, as a batch of reports shares one) is linked instead.
    """
    page = _REMOTE_SCRIPT.sub(_REMOVED, page)
    page = _REMOTE_LINK.sub(_REMOVED, page)
    page = _CSS_REMOTE_IMPORT.sub("", page)

    def drop_remote_imports(match: re.Match[str]) -> str:
        return _REMOVED if _REMOTE_IMPORT.search(match.group(1)) else match.group(0)

    page = _SCRIPT_BLOCK.sub(drop_remote_imports, page)
    if "Plotly.newPlot" in page and PLOTLY_MARKER not in page:
        if plotlyjs_src:
            bundle = f'<script type="text/javascript" src="{html.escape(plotlyjs_src, quote=True)}"></script>'
        else:
            from plotly.offline import get_plotlyjs

            bundle = f'<script type="text/javascript">{get_plotlyjs()}</script>'
        page = page.replace("</head>", bundle + "\n</head>", 1)
    return page


def remote_references(page: str) -> list[str]:
    """Remote scripts, stylesheets and imports left in a page (should be none after make_offline)."""
    found = [m.group(0)[:120] for m in _REMOTE_SCRIPT.finditer(page)]
    found += [m.group(0)[:120] for m in _REMOTE_LINK.finditer(page)]
    found += [m.group(0)[:120] for m in _CSS_REMOTE_IMPORT.finditer(page)]
    for block in _SCRIPT_BLOCK.finditer(page):
        if _REMOTE_IMPORT.search(block.group(1)):
            found.append(block.group(0)[:120])
    return found


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str, header: str = "",
                     plotlyjs_src: str | None = None) -> str:
    """Render an executed notebook as offline HTML with code cells' input hidden (see `make_offline`)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.from_dict(nb)  # a copy: the saved notebook keeps its metadata
    nb.metadata.pop("widgets", None)  # widget state needs the CDN widget manager
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"fargate_nb_offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="fargate_nb_offline.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={REPORT_HIDE_TAG}), enabled=True)
    resources: dict[str, Any] = {"metadata": {"name": title}, "fnb_css": REPORT_CSS, "fnb_header": header}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return make_offline(body, plotlyjs_src)


def error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Every error of an executed notebook: raised exceptions ('ename: evalue') and the messages
    the kit's views display instead of raising (outputs whose ``metadata.fargate_nb`` is "error")."""
    errors = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                errors.append(f"{out.get('ename')}: {out.get('evalue')}")
            elif (out.get("metadata") or {}).get("fargate_nb") == "error":
                errors.append(str((out.get("data") or {}).get("text/plain") or "error shown by the notebook"))
    return list(dict.fromkeys(errors))
