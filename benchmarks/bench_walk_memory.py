"""Peak RSS of a whole plain-mode walk against the peak RSS of importing the dependencies.

    python benchmarks/bench_walk_memory.py [--runs 5]

The walk pipes the answers of the first scenario without a wait answer in
protocols/vascular-occlusion.scenarios.yaml into
`protocol vascular-occlusion --plain` (exit 0: an outcome), or, if that protocol or its scenarios are
missing or invalid, fixed answers into the every-kind fixture (the output says so). It is measured with
the cache of validated protocols off (parse, validate and check the YAML: the worst case) and warm.
The baseline is `python -c "import typer, rich.console, pydantic, yaml"`.

Each command runs under a fresh helper process that reports
`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` (the maximum over that helper's children only, so
runs do not mask each other); the table shows the median of --runs. RATIO = walk / baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _common import bytecode_env, print_table

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = Path(sys.executable).parent
BASELINE = [sys.executable, "-c", "import typer, rich.console, pydantic, yaml"]
CACHE_ENV = "AESTHETIC_PROTOCOLS_CACHE_DIR"
EVERY_KIND_ANSWERS = ["", "y", "2", "", "", "y"]  # begin, assess, areas, treat, wait, better -> fine


def child_peak(cmd: list[str], stdin: str | None, expect: int, env: dict[str, str]) -> int:
    """Peak RSS in KiB of `cmd`, measured by a fresh helper process (`--child`)."""
    spec = json.dumps({"cmd": cmd, "stdin": stdin})
    done = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True,
                          check=False, env=env)
    try:
        returncode, peak = (int(part) for part in done.stdout.split())
    except ValueError:
        print(f"VOID: the helper failed: {done.stderr[-2000:]}")
        sys.exit(1)
    if returncode != expect:
        print(f"VOID: {' '.join(cmd)} exited {returncode}, expected {expect}")
        print(done.stderr[-2000:])
        sys.exit(1)
    return peak


def run_child(spec: str) -> None:
    """Helper mode: run one command, print its exit code and the children's peak RSS in KiB."""
    job: dict[str, Any] = json.loads(spec)
    done = subprocess.run(job["cmd"], input=job["stdin"], capture_output=True, text=True, check=False)
    sys.stderr.write(done.stdout[-1500:] + done.stderr[-1500:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if sys.platform == "darwin":  # bytes there, KiB on Linux
        peak //= 1024
    print(done.returncode, peak)


def walk_command(log_dir: Path) -> tuple[list[str], str, str]:
    """The walk (command, piped answers) and a note on which protocol it uses."""
    protocol = str(SCRIPTS / "protocol")
    main_file = REPO / "protocols" / "vascular-occlusion.yaml"
    scenarios = REPO / "protocols" / "vascular-occlusion.scenarios.yaml"
    reason = ""
    if main_file.is_file() and scenarios.is_file():
        check = subprocess.run([protocol, "validate", str(main_file)], capture_output=True, check=False)
        try:
            # The first scenario a pipe can type: no `{wait: ...}` answer (a gated wait asks to confirm a
            # continue before its due time, and a real-time walk is always before it).
            first = next(scenario for scenario in yaml.safe_load(scenarios.read_text(encoding="utf-8"))["scenarios"]
                         if not any(isinstance(answer, dict) for answer in scenario["answers"]))
            answers = [str(answer) for answer in first["answers"]]
        except (yaml.YAMLError, KeyError, IndexError, TypeError, StopIteration):
            answers = []
            reason = "its scenarios cannot be read"
        if check.returncode == 0 and answers:
            return ([protocol, "vascular-occlusion", "--plain", "--log-dir", str(log_dir)], "\n".join(answers) + "\n",
                    f"vascular-occlusion, scenario '{first.get('name', '?')}' ({len(answers)} answers)")
        reason = reason or "protocols/vascular-occlusion.yaml is invalid"
    else:
        reason = "protocols/vascular-occlusion(.scenarios).yaml does not exist"
    fixtures = REPO / "tests" / "fixtures" / "valid"
    return ([protocol, "every-kind", "--protocols", str(fixtures), "--plain", "--log-dir", str(log_dir)],
            "\n".join(EVERY_KIND_ANSWERS) + "\n", f"every-kind (FALLBACK: {reason})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child)
        return

    with tempfile.TemporaryDirectory(prefix="bench-walk-memory-") as tmp:
        env = bytecode_env(Path(tmp))
        log_dir = Path(tmp) / "logs"
        log_dir.mkdir()
        walk, answers, note = walk_command(log_dir)
        runs = {
            "walk, cache off (parse + validate)": (walk, answers, 0, env | {CACHE_ENV: "off"}),
            "walk, warm cache": (walk, answers, 0, env | {CACHE_ENV: str(Path(tmp) / "cache")}),
            "python -c 'import typer, rich.console, ...'": (BASELINE, None, 0, env),
        }
        peaks: dict[str, list[int]] = {name: [] for name in runs}
        for cmd, stdin, expect, run_env in runs.values():  # warm-up: .pyc files, the cache entry
            child_peak(cmd, stdin, expect, run_env)
        for _ in range(args.runs):
            for name, (cmd, stdin, expect, run_env) in runs.items():
                peaks[name].append(child_peak(cmd, stdin, expect, run_env))

    print(f"protocol: {note}; peak RSS in MiB, median of {args.runs}")
    base = print_table({name: [float(v) for v in values] for name, values in peaks.items()}, 1 / 1024, 1)
    cold, warm = (statistics.median(peaks[name]) / base for name in list(runs)[:2])
    print(f"RATIO walk/baseline = {cold:.2f} cache off, {warm:.2f} warm cache")


if __name__ == "__main__":
    main()
