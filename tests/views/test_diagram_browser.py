"""The diagram as a picture: rendered by headless Chromium, its SVG names the lifelines and the failure."""

from __future__ import annotations

import os

import pytest

from fargate_nb.views.diagram import sequence_figure

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


def test_chromium_draws_the_lifelines_and_the_failure_marker(auth_broken, tmp_path):
    from playwright.sync_api import sync_playwright

    _, diag = auth_broken
    seq = diag.sequence
    page_path = tmp_path / "diagram.html"
    page_path.write_text(sequence_figure(diag).to_html(include_plotlyjs=True), encoding="utf-8")
    shot = tmp_path / "diagram.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1700, "height": 1000})
            # Nothing may leave the machine: block every request that is not the local file.
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else route.abort())
            page.goto(page_path.as_uri())
            page.wait_for_selector("svg.main-svg g.annotation", timeout=30_000)
            svg_text = page.eval_on_selector_all("svg.main-svg text", "els => els.map(e => e.textContent)")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    joined = "\n".join(svg_text)
    flat = joined.replace(" ", "")  # labels are wrapped to their column: lines join without the space
    for lifeline in seq.lifelines:
        assert lifeline.label.replace(" ", "") in flat, lifeline.label
    assert "✗ iam.ecr-auth" in joined
    assert "✗ecr:GetAuthorizationToken" in flat
    later = next(c for c in seq.calls if not c.reached)
    assert f"·{later.label}(notreached)".replace(" ", "") in flat
    assert {"pass", "fail", "warn", "unknown", "skipped", "not reached"} <= set(svg_text)  # the legend
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


# The page measures, for each call label, which lifelines (dotted vertical lines) its text box
# crosses, and whether the failure note's box is inside the figure's.
MEASURE = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const svg = gd.querySelector('svg.main-svg').getBoundingClientRect();
  const lines = [...gd.querySelectorAll('.layer-below path, .shapelayer path')]
    .map(p => p.getBoundingClientRect()).filter(r => r.width < 1.5 && r.height > 40)
    .map(r => r.x + r.width / 2);
  const anns = [...gd.querySelectorAll('g.annotation')].map(g => {
    const t = g.querySelector('text.annotation-text');
    const r = (t || g).getBoundingClientRect();
    return {text: t ? t.textContent : '', x0: r.left, x1: r.right, y0: r.top, y1: r.bottom};
  });
  return {width: gd.getBoundingClientRect().width, svg: {x0: svg.left, x1: svg.right, y0: svg.top, y1: svg.bottom},
          lifelines: [...new Set(lines.map(x => Math.round(x)))], anns};
}"""


@pytest.mark.parametrize("width", [800, 1280, 1600])
def test_labels_cross_no_lifeline_and_the_note_stays_inside(auth_broken, tmp_path, width):
    from playwright.sync_api import sync_playwright

    from fargate_nb.views.diagram import FIGURE_CONFIG

    _, diag = auth_broken
    page_path = tmp_path / "diagram.html"
    page_path.write_text(sequence_figure(diag).to_html(include_plotlyjs=True, config=FIGURE_CONFIG), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else route.abort())
            page.goto(page_path.as_uri())
            page.wait_for_selector("svg.main-svg g.annotation", timeout=30_000)
            got = page.evaluate(MEASURE)
            page.screenshot(path=str(tmp_path / f"diagram-{width}.png"), full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()
    assert scroll and got["width"] <= width
    lifelines = sorted(got["lifelines"])
    assert len(lifelines) == len(diag.sequence.lifelines)
    labels = {c.label.replace(" ", "") for c in diag.sequence.calls}
    checked = 0
    for ann in got["anns"]:
        text = ann["text"].replace(" ", "").replace("(notreached)", "")
        if len(text) < 2 or text[0] not in "✓✗!?·" or text[1:].rstrip("…") not in "|".join(labels):
            continue
        checked += 1
        crossed = [x for x in lifelines if ann["x0"] - 1 < x < ann["x1"] + 1]
        assert not crossed, (width, ann, lifelines)
    assert checked == len(diag.sequence.calls)
    svg = got["svg"]
    [note] = [a for a in got["anns"] if a["text"].startswith("✗ iam.ecr-auth")]
    assert svg["x0"] <= note["x0"] and note["x1"] <= svg["x1"] and svg["y0"] <= note["y0"] and note["y1"] <= svg["y1"]
