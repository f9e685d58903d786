"""`protocol log replay --all` over 1,000 synthetic sessions, against `protocol log list` over the same folder.

    python benchmarks/bench_replay.py [--sessions 1000] [--repeat 3]

The sessions are written with the real Journal (hash chain, fsync per event) by feeding the
vascular-occlusion 0.1.0 scenarios' answers (tests/fixtures/v0.1.0) through the engine, one scenario after
another. They are replayed against an edited copy of that tree (one adjunct option removed, the pulse dose
changed, an outcome made more urgent), so some sessions diverge and every walked pulse shows a changed
dose: the replay does all of its work. Both commands are timed as whole subprocesses (wall clock, best of
--repeat, after one warm-up each). Target: the replay in under 10 s; RATIO replay/list is reported.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from _common import bytecode_env

from aesthetic_protocols.engine import Invalid, Quit, Session
from aesthetic_protocols.events import StartEvent
from aesthetic_protocols.journal import Journal, new_session_id
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.scenarios import load_scenarios, typed_line

TARGET_SECONDS = 10.0
ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "tests" / "fixtures" / "v0.1.0"
SCRIPTS = Path(sys.executable).parent


def edited_tree(source: Path, target: Path) -> None:
    """The 0.1.0 tree with the changes a content update might make."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(source.read_text(encoding="utf-8")))
    data["version"] = "0.2.0"
    nodes = data["nodes"]
    nodes["adjuncts"]["options"] = [o for o in nodes["adjuncts"]["options"] if o["key"] != "g"]
    del nodes["adjunct-nitroglycerin"]
    data["derived"]["pulse_dose"]["times"] = 450
    nodes["refer-necrosis"]["severity"] = "emergency"
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


class Clock:
    """A clock the writer moves on by hand: each answer 40 s after the one before."""

    now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def write_sessions(walked: Path, log_dir: Path, count: int) -> int:
    """`count` finished sessions in `log_dir`, each a scenario's answers through the engine; returns events."""
    loaded = load_file(walked)
    protocol = loaded.protocol
    scenarios = load_scenarios(OLD / "vascular-occlusion.scenarios.yaml").scenarios
    clock = Clock()
    events = 0
    for index in range(count):
        clock.now = moment = datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=7 * index)  # unique ids
        journal = Journal.create(log_dir, new_session_id(protocol.id, moment), clock)
        journal.record(StartEvent(protocol.start, protocol=protocol.id, version=protocol.version,
                                  sha256=loaded.source.sha256, status=str(protocol.status), title=protocol.title,
                                  tool="bench", face="plain"))
        session = Session(protocol)
        written = session.begin(clock.now)
        for raw in scenarios[index % len(scenarios)].answers:
            for event in written:  # each event at its own time, as the walker records it
                journal.record(event)
            events += len(written)
            reading = session.interpret(typed_line(raw))
            assert not isinstance(reading, Invalid | Quit)
            clock.now += timedelta(seconds=40)
            written = session.apply(reading, clock.now)
        for event in written:
            journal.record(event)
        events += len(written)
        journal.close()
        events += 1
    return events


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        env = bytecode_env(Path(tmp))
        walked_dir = Path(tmp) / "walked"
        walked_dir.mkdir()
        walked = Path(shutil.copy(OLD / "vascular-occlusion.yaml", walked_dir))
        new = Path(tmp) / "new.yaml"
        edited_tree(walked, new)
        log_dir = Path(tmp) / "logs"
        began = time.perf_counter()
        events = write_sessions(walked, log_dir, args.sessions)
        print(f"{args.sessions} sessions, {events} events written with the Journal in "
              f"{time.perf_counter() - began:.1f} s")

        protocol = str(SCRIPTS / "protocol")
        common = ["--log-dir", str(log_dir), "--protocols", str(walked_dir)]
        commands = {
            "log replay --all --against new.yaml": ([protocol, "log", "replay", "--all", "--against", str(new),
                                                     *common], 1),
            "log list (baseline)": ([protocol, "log", "list", "--log-dir", str(log_dir)], 0),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        summary = ""
        for round_ in range(args.repeat + 1):  # the first round warms up and checks the exit codes
            for name, (cmd, expected) in commands.items():
                elapsed, done = run(cmd, env)
                if done.returncode != expected:
                    print(f"VOID: {name} exited {done.returncode}, expected {expected}")
                    print((done.stdout + done.stderr)[-3000:])
                    sys.exit(1)
                if name.startswith("log replay"):
                    summary = done.stdout.splitlines()[-1]
                if round_ > 0:
                    times[name].append(elapsed)

    print(summary)
    print(f"{'command':<40}{'best s':>9}{'worst s':>9}{'ms/session':>12}")
    for name, samples in times.items():
        print(f"{name:<40}{min(samples):>9.3f}{max(samples):>9.3f}{min(samples) * 1000 / args.sessions:>12.2f}")
    replay, listing = (min(samples) for samples in times.values())
    print(f"RATIO replay/list = {replay / listing:.2f}")
    verdict = "met" if replay < TARGET_SECONDS else "MISSED"
    print(f"TARGET replay --all over {args.sessions} sessions < {TARGET_SECONDS:.0f} s: {verdict} ({replay:.2f} s)")


if __name__ == "__main__":
    main()
