"""The stopped-reason classifier on the corpus of real messages (tests/stopped/corpus.json).

Prints the share of messages whose step, cause, and both are classified as labelled, then each miss
with its source. The acceptance floor (both >= 97 %) is asserted by tests/stopped/test_stopped_corpus.py.

    .venv/bin/python bench/bench_classifier_corpus.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fargate_nb.stopped.scoring import score  # noqa: E402

CORPUS = ROOT / "tests" / "stopped" / "corpus.json"


def main() -> int:
    entries = json.loads(CORPUS.read_text(encoding="utf-8"))
    for line in score(entries).lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
