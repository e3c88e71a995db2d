"""Opening a report in headless Chromium with the network blocked (helpers for the slow tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


@dataclass
class OfflinePage:
    """A report opened from its file with every other request blocked (and recorded)."""

    page: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def svg_text(self, selector: str = "svg.main-svg text") -> list[str]:
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")
