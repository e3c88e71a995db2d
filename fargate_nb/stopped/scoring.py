"""Score the classifier against labelled messages: how often the step, the cause, and both are right.

Used by ``bench/bench_classifier_corpus.py`` and the corpus test (``tests/stopped/``); the corpus
itself (real messages, each with its public source) is test data, not shipped with the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fargate_nb.stopped import explain


@dataclass
class Miss:
    message: str
    source_url: str
    want: tuple[str | None, str]
    got: tuple[str | None, str]


@dataclass
class Score:
    total: int = 0
    step: int = 0
    cause: int = 0
    both: int = 0
    misses: list[Miss] = field(default_factory=list)

    def rate(self, hits: int) -> float:
        return hits / self.total if self.total else 0.0

    def lines(self) -> list[str]:
        out = [f"corpus: {self.total} messages",
               f"step:  {self.step}/{self.total} ({self.rate(self.step):.1%})",
               f"cause: {self.cause}/{self.total} ({self.rate(self.cause):.1%})",
               f"both:  {self.both}/{self.total} ({self.rate(self.both):.1%})"]
        for m in self.misses:
            out.append(f"MISS want {m.want} got {m.got}: {m.message[:160]}  <{m.source_url}>")
        return out


def score(entries: list[dict[str, Any]]) -> Score:
    """Classify each entry's ``message`` and compare with its ``step`` and ``cause``."""
    result = Score()
    for entry in entries:
        e = explain(entry["message"])
        want = (entry.get("step"), entry["cause"])
        got = (e.step, e.cause)
        result.total += 1
        result.step += got[0] == want[0]
        result.cause += got[1] == want[1]
        if got == want:
            result.both += 1
        else:
            result.misses.append(Miss(entry["message"], entry.get("source_url", ""), want, got))
    return result
