"""How long scrubbing takes as text grows: the time per kilobyte must stay flat (linear scrubbing).

Shapes: many unsigned URLs without a space (the worst case of a lazy regex), and a long stopped
reason full of presigned layer URLs.
"""

from __future__ import annotations

import time

from fargate_nb.scrub import scrub_text

SHAPES = {
    "http://a? repeated": lambda n: "http://a?" * (n // 9),
    "presigned layer URLs": lambda n: ('Get "https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/x?'
                                       'X-Amz-Algorithm=AWS4&X-Amz-Signature=0123456789abcdef": timeout. ') * (n // 130),
}


def main() -> None:
    print(f"{'shape':<24} {'size':>9} {'seconds':>9} {'µs per KB':>10}")
    for name, make in SHAPES.items():
        for size in (3_000, 30_000, 300_000):
            text = make(size)
            start = time.perf_counter()
            scrub_text(text)
            took = time.perf_counter() - start
            print(f"{name:<24} {len(text):>9} {took:>9.4f} {took / (len(text) / 1000) * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
