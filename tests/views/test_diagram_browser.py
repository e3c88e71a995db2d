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
    for lifeline in seq.lifelines:
        assert lifeline.label in joined, lifeline.label
    assert "✗ iam.ecr-auth" in joined
    assert "✗ ecr:GetAuthorizationToken" in joined
    later = next(c for c in seq.calls if not c.reached)
    assert f"· {later.label} (not reached)" in joined
    assert {"pass", "fail", "warn", "unknown", "skipped", "not reached"} <= set(svg_text)  # the legend
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
