"""Time to the first prompt: `echo quit | protocol vascular-occlusion --plain --log-dir TMP` against bare imports.

    python benchmarks/bench_startup.py [--runs 15] [--verbose]

Ours starts the interpreter, loads the protocol, opens the session log, shows the first node and
reads `quit` (exit 3: interrupted, resumable). It is timed twice: with a warm cache of validated
protocols (the usual start; the cache lives in a temp folder via AESTHETIC_PROTOCOLS_CACHE_DIR) and
with the cache off (first start after an edit or on a new day: parse, validate, check). The baseline
is the floor set by the dependencies: `python -c "import typer, rich.console, pydantic, yaml"`. Runs
are interleaved (wall clock, subprocess); the table shows medians. Target: RATIO ours/baseline <= 1.25
for the usual (warm-cache) start; the cold ratio is printed too.

The terminal face is timed too, in a pseudo-terminal of 80x24: from the start of the process to its first
frame on the screen (the key bar drawn), against the same bare imports printing one line in a pty (as many
runs of each, interleaved). Target: PTY RATIO <= 1.25. It is timed again (a third as many runs) with a clinic
file named by AESTHETIC_PROTOCOLS_CLINIC (as `protocol clinic init` writes it), the start of a clinic that has one.

If protocols/vascular-occlusion.yaml is missing or invalid, the walk uses
`every-kind --protocols tests/fixtures/valid` instead, and the output says so. Every run also prints
what the warm walk imports that the baseline does not (and whether typer is among them). With --verbose,
the top 15 cumulative imports of the warm walk itself (`python -X importtime`) go to stderr.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import bytecode_env, print_table

TARGET = 1.25
PTY_TARGET = 1.25
REPO = Path(__file__).resolve().parents[1]
SCRIPTS = Path(sys.executable).parent
BASELINE = [sys.executable, "-c", "import typer, rich.console, pydantic, yaml"]
EXIT_INTERRUPTED = 3
CACHE_ENV = "AESTHETIC_PROTOCOLS_CACHE_DIR"
CLINIC_ENV = "AESTHETIC_PROTOCOLS_CLINIC"


def walk_command(log_dir: Path) -> tuple[list[str], str]:
    """The walk to time, and a note on which protocol it uses."""
    protocol = str(SCRIPTS / "protocol")
    log_dir.mkdir(parents=True, exist_ok=True)
    main_file = REPO / "protocols" / "vascular-occlusion.yaml"
    if main_file.is_file():
        check = subprocess.run([protocol, "validate", str(main_file)], capture_output=True, text=True, check=False)
        if check.returncode == 0:
            return [protocol, "vascular-occlusion", "--plain", "--log-dir", str(log_dir)], "vascular-occlusion"
        reason = "protocols/vascular-occlusion.yaml is invalid"
    else:
        reason = "protocols/vascular-occlusion.yaml does not exist"
    fixtures = REPO / "tests" / "fixtures" / "valid"
    return ([protocol, "every-kind", "--protocols", str(fixtures), "--plain", "--log-dir", str(log_dir)],
            f"every-kind (FALLBACK: {reason}; using every-kind --protocols tests/fixtures/valid)")


def timed(cmd: list[str], env: dict[str, str], expect: int, stdin: str | None = None,
          cache: str | None = None) -> float:
    if cache is not None:
        env = env | {CACHE_ENV: cache}
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        print(f"VOID: {' '.join(cmd)} exited {done.returncode}, expected {expect}")
        print((done.stdout + done.stderr)[-2000:])
        sys.exit(1)
    return elapsed


_MODULES = ("import atexit, sys; "
            "atexit.register(lambda: print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr))")


def _modules(stderr: str) -> set[str]:
    line = next((line for line in stderr.splitlines() if line.startswith("MODULES ")), "MODULES")
    return set(line.split()[1:])


def _walk_modules(walk: list[str], env: dict[str, str], cache: str) -> set[str]:
    """The modules loaded by the end of a warm walk (same command, run through `python -c`)."""
    code = f"{_MODULES}; sys.argv = {['protocol', *walk[1:]]!r}; from aesthetic_protocols.launch import main; main()"
    done = subprocess.run([sys.executable, "-c", code], input="quit\n", capture_output=True, text=True, check=False,
                          env=env | {CACHE_ENV: cache})
    return _modules(done.stderr) if done.returncode == EXIT_INTERRUPTED else set()


def beyond_baseline(walk: list[str], env: dict[str, str], cache: str) -> str:
    """What the walk imports that the baseline's bare imports do not, grouped by top-level package."""
    base = subprocess.run([sys.executable, "-c", f"{_MODULES}; {BASELINE[2]}"], capture_output=True, text=True,
                          check=False, env=env)
    extra = _walk_modules(walk, env, cache) - _modules(base.stderr)
    packages: dict[str, int] = {}
    for name in extra:
        top = name.split(".")[0] if not name.startswith("aesthetic_protocols") else name
        packages[top] = packages.get(top, 0) + 1
    listed = ", ".join(f"{name}" + (f" ({count})" if count > 1 else "") for name, count in sorted(packages.items()))
    typer = "typer NOT imported" if not any(n == "typer" or n.startswith("typer.") for n in extra) else "TYPER IMPORTED"
    return f"walk imports beyond the baseline ({len(extra)} modules; {typer}): {listed}"


def import_profile(walk: list[str], env: dict[str, str], cache: str, top: int = 15) -> str:
    """`python -X importtime` of the warm walk, the slowest imports by cumulative time, to stderr."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "aesthetic_protocols", *walk[1:]],
                          input="quit\n", capture_output=True, text=True, check=False, env=env | {CACHE_ENV: cache})
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, own, cumulative, name = (part.strip() for part in line.replace("import time:", "|", 1).split("|"))
        rows.append((int(cumulative), int(own), name))
    lines = [f"python -X importtime (the warm walk): top {top} by cumulative time",
             f"{'cumulative ms':>14}{'self ms':>9}  module"]
    lines += [f"{cumulative / 1000:>14.1f}{own / 1000:>9.1f}  {name}"
              for cumulative, own, name in sorted(rows, reverse=True)[:top]]
    return "\n".join(lines)


def in_pty(cmd: list[str], env: dict[str, str], marker: bytes, then: list[tuple[bytes, bytes]]) -> float:
    """Seconds from starting `cmd` in an 80x24 pseudo-terminal until `marker` is on its screen; then each
    (key, what to wait for) is pressed, and the process is waited for."""
    import fcntl
    import pty
    import struct
    import termios

    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, in the pty
        os.execve(cmd[0], cmd, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""

    def wait_for(text: bytes) -> None:
        nonlocal seen
        while text not in seen:
            ready, _, _ = select.select([fd], [], [], 20)
            if not ready:
                raise SystemExit(f"VOID: {text!r} never appeared in the pty")
            try:
                seen += os.read(fd, 65536)
            except OSError:
                raise SystemExit(f"VOID: the pty closed before {text!r}") from None

    wait_for(marker)
    elapsed = time.perf_counter() - start
    for key, expect in then:
        time.sleep(0.4)  # after the face's key guard
        seen = b""
        os.write(fd, key)
        if expect:
            wait_for(expect)
    with __import__("contextlib").suppress(OSError):
        while os.read(fd, 65536):
            pass
    os.waitpid(pid, 0)
    os.close(fd)
    return elapsed


def pty_ratio(walk: list[str], env: dict[str, str], cache: str, runs: int, clinic: Path | None = None) -> str:
    """The terminal face's first frame in a pty against the bare imports in a pty (medians); with `clinic`, the
    walk reads that clinic file (contacts and kit), as a clinic's own start does."""
    terminal = [arg for arg in walk if arg != "--plain"]
    if clinic is not None:
        env = env | {CLINIC_ENV: str(clinic)}
    face_env = {k: v for k, v in env.items() if k != "NO_COLOR"} | {CACHE_ENV: cache, "TERM": "xterm-256color"}
    bare = [*BASELINE[:2], BASELINE[2] + "; print('ready')"]
    in_pty(terminal, face_env, b"Esc quit", [(b"\x1b", b"Quit?"), (b"y", b"")])  # warm-up
    ours, base = [], []
    for _ in range(runs):
        ours.append(in_pty(terminal, face_env, b"Esc quit", [(b"\x1b", b"Quit?"), (b"y", b"")]))
        base.append(in_pty(bare, env, b"ready", []))
    ratio = statistics.median(ours) / statistics.median(base)
    label = "PTY first frame" + (" with a clinic file" if clinic is not None else "")
    return (f"{label}: terminal face {statistics.median(ours) * 1000:.0f} ms, bare imports "
            f"{statistics.median(base) * 1000:.0f} ms: PTY RATIO = {ratio:.2f} (target <= {PTY_TARGET}: "
            f"{'met' if ratio <= PTY_TARGET else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--verbose", action="store_true", help="import-time profile on stderr")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = bytecode_env(Path(tmp))
        walk, note = walk_command(Path(tmp) / "logs")
        cache = str(Path(tmp) / "cache")
        runs: dict[str, tuple[list[str], int, str | None, str | None]] = {
            "protocol ID --plain, warm cache": (walk, EXIT_INTERRUPTED, "quit\n", cache),
            "protocol ID --plain, cache off": (walk, EXIT_INTERRUPTED, "quit\n", "off"),
            "python -c 'import typer, rich.console, ...'": (BASELINE, 0, None, None),
        }
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for cmd, expect, stdin, cache_dir in runs.values():  # warm-up: .pyc files, page cache, the cache entry
            timed(cmd, env, expect, stdin, cache_dir)
        for _ in range(args.runs):
            for name, (cmd, expect, stdin, cache_dir) in runs.items():
                samples[name].append(timed(cmd, env, expect, stdin, cache_dir))
        imported = beyond_baseline(walk, env, cache)
        in_a_pty = ""
        if os.name == "posix":
            clinic = Path(tmp) / "clinic.yaml"
            subprocess.run([str(SCRIPTS / "protocol"), "clinic", "init", str(clinic)], capture_output=True, check=True)
            in_a_pty = (pty_ratio(walk, env, cache, args.runs) + "\n"
                        + pty_ratio(walk, env, cache, max(3, args.runs // 3), clinic))
        profile = import_profile(walk, env, cache) if args.verbose else ""

    print(f"protocol: {note}; {args.runs} runs each, interleaved; wall clock in ms (first prompt, then quit)")
    base = print_table(samples, 1000, 0)
    warm, cold = (statistics.median(samples[name]) / base for name in list(runs)[:2])
    print(f"RATIO ours/baseline = {warm:.2f} warm cache (target <= {TARGET}: {'met' if warm <= TARGET else 'MISSED'}); "
          f"{cold:.2f} cache off")
    print(imported)
    if in_a_pty:
        print(in_a_pty)
    if profile:
        print(profile, file=sys.stderr)


if __name__ == "__main__":
    main()
