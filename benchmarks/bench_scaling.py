"""How validation time grows with the size of one tree: 1k, 10k and 100k nodes, phase by phase.

    python benchmarks/bench_scaling.py [--sizes 1000 10000 100000] [--repeat 3] [--no-gc]

A 100k-node file is far above the 1 MiB limit of `protocol validate`, so this calls the library
directly: `loader.parse_source(path, max_bytes=...)` (read, event screen, compose, convert),
`loader.build` (pydantic) and `checks.check` (graph rules), timing each phase (best of --repeat; sizes
of 50k nodes and more run once, to stay within two minutes).
The baseline, measured in the same run on the same text, is `yaml.compose` alone with the C loader.

Targets: 100k nodes validate in under 5 s in total; time per node at 100k / at 1k about 1.0 (linear).
--no-gc runs everything with the cyclic garbage collector off, to show how much of the time is its.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import yaml
from _synth import tree_yaml

from aesthetic_protocols import checks, loader

TARGET_SECONDS = 5.0
T = TypeVar("T")
_CLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def best(repeat: int, call: Callable[[], T]) -> tuple[float, T]:
    """Best wall time of `repeat` calls (garbage collection as in normal use), and the last result."""
    times = []
    result: Any = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-gc", action="store_true", help="cyclic garbage collector off (diagnosis)")
    args = parser.parse_args()
    if args.no_gc:
        gc.disable()
    today = date.today()
    if not yaml.__with_libyaml__:
        print("note: PyYAML has no libyaml here; both sides use the pure-Python parser")

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        for size in args.sizes:
            protocol_id = f"synthetic-{size}"
            text = tree_yaml(protocol_id, size - 1)  # plus the emergency outcome = size nodes
            path = Path(tmp) / f"{protocol_id}.yaml"
            path.write_bytes(text.encode("utf-8"))
            limit = len(text) * 2
            repeat = args.repeat if size < 50_000 else 1
            # The headline figure first, before the phase timings below fill the heap with their garbage.
            validate_s, found = best(repeat, partial(checks.validate_path, path, today, max_bytes=limit))
            if found:
                print(f"VOID: validate_path reports {found[0]}")
                sys.exit(1)
            compose_s, _ = best(repeat, partial(yaml.compose, text, Loader=_CLoader))
            parse_s, source = best(repeat, partial(loader.parse_source, path, max_bytes=limit))
            build_s, protocol = best(repeat, partial(loader.build, source))
            check_s, problems = best(repeat, partial(checks.check, protocol, source, today, protocol_id))
            if problems or len(protocol.nodes) != size:
                print(f"VOID: the {size}-node tree is not valid ({len(protocol.nodes)} nodes):")
                for problem in problems[:10]:
                    print(f"  {problem}")
                sys.exit(1)
            rows.append((size, len(text), compose_s, parse_s, build_s, check_s, validate_s))
            del source, protocol

    print(f"one tree per size; seconds, best of {args.repeat} (1 from 50k nodes); "
          f"baseline = yaml.compose (C loader) alone{'; GC OFF' if args.no_gc else ''}")
    print("phases are timed one by one (collector on); 'validate' is checks.validate_path, the path "
          "`protocol validate` takes (collector paused), and is the figure the target speaks of")
    header = f"{'nodes':>8}{'MiB':>7}{'compose':>9}{'parse':>8}{'build':>8}{'check':>8}{'validate':>9}"
    print(header + f"{'us/node':>9}{'ours/base':>10}")
    for size, nbytes, compose_s, parse_s, build_s, check_s, validate_s in rows:
        print(f"{size:>8}{nbytes / 2**20:>7.2f}{compose_s:>9.3f}{parse_s:>8.3f}{build_s:>8.3f}{check_s:>8.3f}"
              f"{validate_s:>9.3f}{validate_s / size * 1e6:>9.1f}{validate_s / compose_s:>10.2f}")
    first, last = rows[0], rows[-1]
    per_node = [row[6] / row[0] for row in (first, last)]
    print(f"RATIO time per node {last[0]}/{first[0]} = {per_node[1] / per_node[0]:.2f} (linear = about 1.0)")
    print(f"RATIO ours/baseline at {last[0]} nodes = {last[6] / last[2]:.2f}")
    if last[0] >= 100_000:
        total = last[6]
        print(f"{last[0]} nodes validate in {total:.2f} s (target < {TARGET_SECONDS:.0f} s: "
              f"{'met' if total < TARGET_SECONDS else 'MISSED'})")


if __name__ == "__main__":
    main()
