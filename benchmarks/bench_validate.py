"""`protocol validate DIR` against `check-jsonschema --schemafile schema.json FILES...` on the same files.

    python benchmarks/bench_validate.py [--files 300] [--repeat 3]

Both are timed as whole subprocesses (wall clock, best of --repeat, interleaved, after one warm-up each),
so each side pays its own interpreter start. `protocol validate` does more (YAML hazards, located
errors, graph rules) than a JSON Schema check; the target is that it still takes at most half the time:
RATIO ours/theirs <= 0.5. Both tools must report success (exit 0), otherwise the comparison is void and
the script exits 1. The files (from `_synth.py`) hold 8 to 120 nodes each. Bytecode caching is on for
both (in a temp folder), as for installed packages, even if PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import bytecode_env
from _synth import tree_yaml

TARGET = 0.5
SCRIPTS = Path(sys.executable).parent


def node_count(index: int) -> int:
    """Sizes from 8 to 120 nodes (the hand-written protocols have 10 to 40), spread evenly over the files."""
    return 8 + (index * 97) % 113


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    return time.perf_counter() - start, done


def require_success(name: str, done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0:
        print(f"VOID: {name} exited {done.returncode} on valid files; the comparison means nothing")
        print((done.stdout + done.stderr)[-3000:])
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        env = bytecode_env(Path(tmp))
        folder = Path(tmp) / "protocols"
        folder.mkdir()
        files: list[Path] = []
        nodes = 0
        for index in range(args.files):
            protocol_id = f"synthetic-{index:04d}"
            count = node_count(index)
            path = folder / f"{protocol_id}.yaml"
            path.write_text(tree_yaml(protocol_id, count), encoding="utf-8")
            files.append(path)
            nodes += count + 1
        size = sum(p.stat().st_size for p in files)
        schema = Path(tmp) / "schema.json"
        done = subprocess.run([str(SCRIPTS / "protocol"), "schema"], capture_output=True, text=True, check=False)
        require_success("protocol schema", done)
        schema.write_text(done.stdout, encoding="utf-8")

        commands = {
            "protocol validate DIR": [str(SCRIPTS / "protocol"), "validate", str(folder)],
            "check-jsonschema FILES": [str(SCRIPTS / "check-jsonschema"), "--schemafile", str(schema),
                                       *map(str, files)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for name, cmd in commands.items():  # warm-up: page cache, .pyc files; also the success check
            _, done = run(cmd, env)
            require_success(name, done)
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                elapsed, done = run(cmd, env)
                require_success(name, done)
                times[name].append(elapsed)

    print(f"{args.files} files, {nodes} nodes, {size / 1024:.0f} KiB; wall clock, best of {args.repeat}")
    print(f"{'command':<26}{'best s':>9}{'worst s':>9}{'ms/file':>9}")
    for name, samples in times.items():
        print(f"{name:<26}{min(samples):>9.3f}{max(samples):>9.3f}{min(samples) * 1000 / args.files:>9.2f}")
    ours, theirs = (min(samples) for samples in times.values())
    ratio = ours / theirs
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"RATIO ours/theirs = {ratio:.2f} (target <= {TARGET}: {verdict})")


if __name__ == "__main__":
    main()
