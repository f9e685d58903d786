"""kill -9 inside the handover loop: how many acknowledged log entries are lost (must be 0).

Each trial walks the example emergency tree (tests/fixtures/handover) in plain mode to the anaphylaxis
outcome, logs a random number of entries (each acknowledged by the prompt coming back, i.e. synced), then
types a few more without waiting and SIGKILLs the walker at a random moment. The log must verify (a torn
last line is allowed: resume sets it aside), hold every acknowledged entry, and resume into the loop and end
at `h`. Usage: python benchmarks/bench_handover_kill.py [TRIALS]
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE_DIR = ROOT / "tests" / "fixtures" / "handover"
TO_SIGNS = ["", "Filler X", "Chin", "0.5", "13:40", "penicillin"]


def trial(folder: Path, rng: random.Random) -> tuple[int, int]:
    """(acknowledged entries, entries lost) of one kill."""
    env = {**os.environ, "AESTHETIC_PROTOCOLS_PATH": str(TREE_DIR), "AESTHETIC_PROTOCOLS_LOG_DIR": str(folder)}
    proc = subprocess.Popen([sys.executable, "-m", "aesthetic_protocols", "emergency", "--plain"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n".join([*TO_SIGNS, "a"]) + "\n")
    proc.stdin.flush()
    while "log: d, o" not in proc.stdout.readline():
        pass
    acknowledged = rng.randint(0, 6)
    for _ in range(acknowledged):
        proc.stdin.write(rng.choice("do") + "\n")
        proc.stdin.flush()
        while "log: d, o" not in proc.stdout.readline():
            pass
    proc.stdin.write("d\no\nd\n")  # typed on, not waited for: the kill may land mid-write
    proc.stdin.flush()
    time.sleep(rng.uniform(0, 0.05))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (log,) = folder.glob("*.jsonl")
    events = []
    for line in log.read_bytes().splitlines(keepends=True):
        if line.endswith(b"\n"):
            events.append(json.loads(line))
    logged = sum(1 for e in events if e["event"] == "logged")
    resumed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "resume", str(log), "--plain"],
                             env=env, input="h\n\n\n", capture_output=True, text=True, timeout=60)
    verified = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "log", "verify", str(log)], env=env,
                              capture_output=True, timeout=60)
    if resumed.returncode != 0 or verified.returncode != 0:
        raise SystemExit(f"trial failed: resume {resumed.returncode}, verify {verified.returncode}: {resumed.stderr}")
    return acknowledged, max(0, acknowledged - logged)


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = random.Random(15)
    lost = total = 0
    for _ in range(trials):
        with tempfile.TemporaryDirectory() as tmp:
            acknowledged, gone = trial(Path(tmp), rng)
            total += acknowledged
            lost += gone
    print(f"kill -9 inside the handover loop: {trials} trials, {total} acknowledged entries, {lost} lost")
    raise SystemExit(1 if lost else 0)


if __name__ == "__main__":
    main()
