"""Every semantic mutant of the bundled trees, judged: caught by validate, scenarios or transcripts, or silent.

The classes (tests/mutants.py): next targets, option keys, swapped option labels within a question,
outcome severities, red-flag gotos, input and record bounds, wait minutes, derived dose factors, table
limits and units. Prints the count per class and gate, every silent mutant, the time per mutant against
the baseline (judging the unmutated trees once), and `RATIO silent/total`. Exit 1 when a mutant is silent.

    .venv/bin/python benchmarks/bench_mutants.py
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the mutator lives beside the test that samples it

from aesthetic_protocols.search import file_id, protocol_files  # noqa: E402
from tests.mutants import CLASSES, Mutant, Tree  # noqa: E402

GATES = ("validate", "scenarios", "transcripts", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", type=Path, default=ROOT / "protocols", help="Folder of trees to mutate.")
    args = parser.parse_args()
    today = date.today()
    trees = [Tree.read(path) for path in protocol_files(args.protocols)]

    started = time.perf_counter()
    for tree in trees:
        assert tree.caught_by(Mutant(file_id(tree.path), "none", "unchanged", lambda data: None), today) is None
    baseline = (time.perf_counter() - started) / len(trees)

    counts: Counter[tuple[str, str | None]] = Counter()
    silent: list[Mutant] = []
    started = time.perf_counter()
    for tree in trees:
        for mutant in tree.all_mutants():
            gate = tree.caught_by(mutant, today)
            counts[(mutant.kind, gate)] += 1
            if gate is None:
                silent.append(mutant)
    elapsed = time.perf_counter() - started
    total = sum(counts.values())

    print(f"{'class':<16}" + "".join(f"{g or 'silent'!s:>13}" for g in GATES) + f"{'total':>8}")
    for kind in CLASSES:
        row = [counts[(kind, gate)] for gate in GATES]
        print(f"{kind:<16}" + "".join(f"{n:>13}" for n in row) + f"{sum(row):>8}")
    print(f"{'all':<16}" + "".join(f"{sum(counts[(k, g)] for k in CLASSES):>13}" for g in GATES) + f"{total:>8}")
    for mutant in silent:
        print(f"SILENT {mutant.tree}: {mutant.kind} {mutant.where}")
    print(f"{total} mutants of {len(trees)} trees in {elapsed:.1f} s ({elapsed / total * 1000:.1f} ms each; "
          f"unmutated tree judged in {baseline * 1000:.1f} ms)")
    print(f"RATIO silent/total {len(silent)}/{total} (caught {total - len(silent)})")
    return 1 if silent else 0


if __name__ == "__main__":
    raise SystemExit(main())
