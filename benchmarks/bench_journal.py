"""Per-event latency of Journal.append (build, hash, one write, sync) against a bare write+fdatasync.

    python benchmarks/bench_journal.py [--events 2000] [--dir PATH]

The two are interleaved event by event (journal then bare, then bare then journal, alternating), on the
same filesystem, so disk noise (another process's writes, a flush) falls on both alike rather than deciding
the ratio. --dir picks the filesystem to measure (default: the system temp folder). The target is p99 < 2 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aesthetic_protocols.journal import Journal, canonical

WARMUP = 50


def _bare_sync(fd: int) -> None:
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:
        os.fsync(fd)


def _interleaved(n: int, first: Callable[[], object], second: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Milliseconds per call of each, measured in turns (the order alternating), after a short warm-up."""
    for _ in range(WARMUP):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    steps = (first, second)
    for i in range(n):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            start = time.perf_counter_ns()
            steps[which]()
            times[which].append((time.perf_counter_ns() - start) / 1e6)
    return times


def _row(name: str, samples: list[float]) -> tuple[str, float, float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return name, statistics.median(ordered), p99, ordered[-1], statistics.fmean(ordered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None, help="folder on the filesystem to measure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        journal = Journal.create(folder / "sessions", "bench-session")
        fields = {"node": "assess-perfusion", "answer": "y", "note": "capillary refill over 3 s, mottling"}

        line_size = len(canonical(journal.append("answer", **fields))) + 1
        line = b"x" * (line_size - 1) + b"\n"
        fd = os.open(folder / "bare.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:

            def bare() -> object:
                os.write(fd, line)
                _bare_sync(fd)
                return None

            journal_ms, bare_ms = _interleaved(args.events, lambda: journal.append("answer", **fields), bare)
        finally:
            os.close(fd)
            journal.close()

    rows = [_row("journal append", journal_ms), _row("bare write+sync", bare_ms)]
    print(f"{args.events} events of {line_size} bytes each, in {args.dir or tempfile.gettempdir()}")
    print(f"{'':18}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    for name, p50, p99, worst, mean in rows:
        print(f"{name:18}{p50:9.3f}{p99:9.3f}{worst:9.3f}{mean:9.3f}")
    ratio = rows[0][2] / rows[1][2] if rows[1][2] else float("inf")
    verdict = "meets" if rows[0][2] < 2.0 else "MISSES"
    print(f"p99 journal / p99 bare = {ratio:.2f}; journal p99 {verdict} the 2 ms target")


if __name__ == "__main__":
    main()
