"""Fixtures for the report tests: sandbox scenarios collected over HTTP, and an offline browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_browser import CHROMIUM, CHROMIUM_ARGS, OfflinePage


@pytest.fixture
def scenario_snapshot(aws):
    """``make(scenario_id) -> (Snapshot, Provisioned)``: provision in the sandbox, collect like live AWS."""
    from fargate_nb.aws import collect, make_context
    from fargate_nb.lab.scenarios import get_scenario

    def make(scenario_id: str):
        env = get_scenario(scenario_id).provision(aws)
        ctx = make_context(region=aws.region, endpoint_url=aws.endpoint_url)
        return collect(ctx, cluster=env.cluster, task=env.task_arn), env

    return make


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_offline(browser):
    """``open_(path) -> OfflinePage``: load the file; record (and abort) every other request."""
    pages = []

    def open_(path: Path) -> OfflinePage:
        url = path.resolve().as_uri()
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        pages.append(page)
        view = OfflinePage(page)

        def route(r):
            if r.request.url == url:
                r.continue_()
            else:
                view.requests.append(r.request.url)
                r.abort()

        def on_dialog(d):
            view.dialogs.append(d.message)
            d.dismiss()

        page.route("**/*", route)
        page.on("console", lambda m: view.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: view.console_errors.append(str(e)))
        page.on("dialog", on_dialog)
        page.goto(url, wait_until="load")
        return view

    yield open_
    for page in pages:
        page.close()
