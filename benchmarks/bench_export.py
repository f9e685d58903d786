"""`protocol log export S --format fhir` (and md, html) on a 200-event log, against `protocol log show S`.

    python benchmarks/bench_export.py [--runs 9] [--events 200]

The log is a long vascular-occlusion walk written with the real Journal, as the walker now logs it
(titles, labels, values, the dose shown): pulse after pulse (areas, pulse, adjunct, 60-minute wait,
reassess: not resolved) with a note at each pulse, until about `--events` events, then resolved. Each
command is the whole CLI in a subprocess (wall clock, runs interleaved, medians). The baseline is
`log show` of the same log: reading and verifying the log and printing its timeline, which every
export also does. Target: RATIO fhir/show <= 2.0 (the export loads and checks the protocol file and
builds three resources; it should stay the same order of work as showing the log). The walk runs under
the frozen copy of the tree the export tests use (tests/fixtures/export, given with --protocols), so its
steps stay those of the tree when the bundled one is revised.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from _common import bytecode_env, print_table

from aesthetic_protocols.journal import Journal

TARGET = 2.0
SCRIPTS = Path(sys.executable).parent
EXPORT_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "export"


def long_walk(events: int) -> list[tuple[str, dict[str, Any]]]:
    """A vascular-occlusion walk of about `events` events: repeated pulses, then resolved."""
    source = EXPORT_DIR / "vascular-occlusion.yaml"
    start = {"node": "stop-injecting", "protocol": "vascular-occlusion", "version": "0.1.0",
             "sha256": hashlib.sha256(source.read_bytes()).hexdigest(), "status": "draft",
             "title": "Vascular occlusion after dermal filler", "tool": "0.1.0", "face": "plain",
             "patient": "R-0042", "practitioner": "Dr A Nurse"}

    def answer(node: str, key: str, nxt: str, title: str, label: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        return ("answer", {"node": node, "answer": key, "next": nxt, "title": title, "label": label, **extra})

    walk: list[tuple[str, dict[str, Any]]] = [
        ("start", start),
        answer("stop-injecting", "", "assess", "Stop injecting", "Done"),
        answer("assess", "", "signs", "Recognise and record before treating", "Done"),
        answer("signs", "y", "filler-type", "Signs of impaired blood supply?", "Yes: one or more of these signs"),
        answer("filler-type", "h", "venom-allergy", "Which filler was injected?", "Hyaluronic acid (HA)"),
        answer("venom-allergy", "n", "first-line", "Bee or wasp venom allergy?", "No"),
        answer("first-line", "h", "areas", "Massage and warmth first, or straight to hyaluronidase?",
               "Straight to hyaluronidase")]
    pulse = 0
    while len(walk) < events - 8:
        pulse += 1
        walk += [
            answer("areas", "2", "hyaluronidase-pulse", "How many areas are ischaemic?", "2 areas", value=2,
                   unit="areas"),
            ("note", {"node": "hyaluronidase-pulse", "text": f"pulse {pulse}: 1000 U in 2 mL saline, lateral nose"}),
            answer("hyaluronidase-pulse", "", "adjuncts", "Give a hyaluronidase pulse", "Done",
                   shown={"pulse_dose": "1000 U"}),
            answer("adjuncts", "n", "wait-60", "Consider an adjunct? (optional, weak evidence)",
                   "No adjunct (now): continue to the 60-minute reassessment"),
            ("wait-started", {"node": "wait-60", "minutes": 60, "due": "2026-11-28T09:00:00.000Z"}),
            answer("wait-60", "", "reassess", "Reassess at 60 minutes", "Continued"),
            answer("reassess", "p", "areas", "Reassess refill, colour and pain", "Not resolved: give another pulse")]
    walk += [answer("areas", "1", "hyaluronidase-pulse", "How many areas are ischaemic?", "1 areas", value=1,
                    unit="areas"),
             answer("hyaluronidase-pulse", "", "adjuncts", "Give a hyaluronidase pulse", "Done",
                    shown={"pulse_dose": "500 U"}),
             answer("adjuncts", "n", "wait-60", "Consider an adjunct? (optional, weak evidence)",
                    "No adjunct (now): continue to the 60-minute reassessment"),
             answer("wait-60", "", "reassess", "Reassess at 60 minutes", "Continued"),
             answer("reassess", "r", "resolved", "Reassess refill, colour and pain",
                    "Resolved: normal refill, normal colour, no pain"),
             ("outcome", {"node": "resolved", "title": "Resolved: follow-up plan", "severity": "resolved"})]
    return walk


def write_log(folder: Path, events: int) -> tuple[Path, int]:
    ticks: Iterator[datetime] = (datetime(2026, 11, 28, 8, 0, tzinfo=UTC) + timedelta(seconds=20 * i)
                                 for i in count())
    journal = Journal.create(folder, "bench-export", clock=lambda: next(ticks))
    walk = long_walk(events)
    with journal:
        for name, fields in walk:
            journal.append(name, **fields)
    return journal.path, len(walk)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(f"VOID: {' '.join(cmd)} exited {done.returncode}")
        print((done.stdout + done.stderr)[-2000:])
        sys.exit(1)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(Path(tmp)) | {"AESTHETIC_PROTOCOLS_CACHE_DIR": str(Path(tmp) / "cache")}
        log, written = write_log(Path(tmp) / "logs", args.events)
        protocol = str(SCRIPTS / "protocol")
        commands = {f"log export --format {fmt} ({written} events)": [protocol, "log", "export", str(log),
                                                                      "--format", fmt, "--protocols", str(EXPORT_DIR)]
                    for fmt in ("fhir", "html", "md")}
        commands[f"log show ({written} events, baseline)"] = [protocol, "log", "show", str(log)]
        for cmd in commands.values():  # warm-up: bytecode and the protocol cache
            timed(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                samples[name].append(timed(cmd, env))
        print(f"{written} events, log {log.stat().st_size} bytes; wall clock per command in ms")
        base = print_table(samples, 1000, 0)
        ratio = sorted(samples[next(iter(samples))])[args.runs // 2] / base
        print(f"RATIO fhir/show = {ratio:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
