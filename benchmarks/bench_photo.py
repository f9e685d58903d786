"""Photographs and the clinic file (issue 18): time to accept a 10 MB JPEG at the prompt (read, check, EXIF,
hash, copy into the evidence folder, fsync), against a bare copy + fsync of the same file; the size of the HTML
record and of the FHIR bundle of a walk with 6 photographs; `protocol clinic check` exit codes on the example
file `protocol clinic init` writes (as written, an item expiring within 30 days, an emergency item expired,
no file).

    .venv/bin/python benchmarks/bench_photo.py
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from PIL import Image

from aesthetic_protocols import photo

RUNS = 9
PROTOCOL = str(Path(sys.executable).with_name("protocol"))


def jpeg_of_size(target: int) -> bytes:
    """A noisy JPEG (noise compresses badly, as skin texture at full resolution does) of about `target` bytes,
    with an EXIF capture time."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:12:06 14:02:11"
    side = 1000
    while True:
        image = Image.frombytes("RGB", (side * 4 // 3, side), os.urandom(side * 4 // 3 * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=95, exif=exif.tobytes())
        if out.tell() >= target:
            return out.getvalue()
        side = int(side * (target / out.tell()) ** 0.5) + 50


def phone_photo() -> bytes:
    """A photograph the size a phone writes (about 3 MB)."""
    return jpeg_of_size(3 * 1024 * 1024)


def accept(source: Path, folder: Path) -> float:
    began = time.perf_counter()
    taken = photo.read(source)
    photo.store(taken, folder / "session.jsonl")
    return time.perf_counter() - began


def bare_copy(source: Path, folder: Path) -> float:
    began = time.perf_counter()
    folder.mkdir()
    target = folder / "copy.jpg"
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - began


TREE = """\
id: six-photos
title: Six photographs
version: 1.0.0
status: draft
review: {next_review: 2099-01-01}
references:
  R1: {citation: "Example."}
start: photos
nodes:
  photos:
    kind: record
    title: Photographs
    fields:
%s    next: done
  done:
    kind: outcome
    title: Done
    severity: follow-up
    refs: [R1]
"""


def record_sizes(tmp: Path) -> dict[str, int]:
    fields = "".join(f"      - {{id: photo_{n}, label: \"Photograph {n}\", type: photo}}\n" for n in range(1, 7))
    trees = tmp / "trees"
    trees.mkdir(parents=True)
    (trees / "six-photos.yaml").write_text(TREE % fields)
    paths = []
    for n in range(1, 7):
        path = tmp / f"photo{n}.jpg"
        path.write_bytes(phone_photo())
        paths.append(path)
    env = dict(os.environ, AESTHETIC_PROTOCOLS_LOG_DIR=str(tmp / "logs"), AESTHETIC_PROTOCOLS_PATH=str(trees),
               NO_COLOR="1")
    walked = subprocess.run([PROTOCOL, "six-photos", "--plain"], input="".join(f"{p}\n" for p in paths),
                            capture_output=True, text=True, env=env)
    if walked.returncode != 0:
        print(walked.stdout, walked.stderr)
        raise SystemExit(1)
    (log,) = (tmp / "logs").glob("*.jsonl")
    sizes = {"6 photographs (originals)": sum(p.stat().st_size for p in paths), "session log": log.stat().st_size}
    for fmt in ("html", "fhir", "md"):
        out = subprocess.run([PROTOCOL, "log", "export", str(log), "--format", fmt], capture_output=True, env=env)
        sizes[f"record, --format {fmt}"] = len(out.stdout)
    out = subprocess.run([PROTOCOL, "log", "export", str(log), "--format", "html", "--anonymise"], capture_output=True,
                         env=env)
    sizes["record, --format html --anonymise"] = len(out.stdout)
    return sizes


def kit_codes(tmp: Path) -> dict[str, int]:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp / "config"))
    env.pop("AESTHETIC_PROTOCOLS_CLINIC", None)
    path = tmp / "clinic.yaml"
    subprocess.run([PROTOCOL, "clinic", "init", str(path)], check=True, capture_output=True, env=env)
    written = path.read_text()
    codes = {}

    def check(name: str, text: str | None) -> None:
        if text is not None:
            path.write_text(text)
        args = [PROTOCOL, "clinic", "check"] + ([str(path)] if text is not None else [])
        done = subprocess.run(args, capture_output=True, text=True, env=env)
        codes[name] = done.returncode
        print(f"  {name}: exit {done.returncode}; {done.stderr.strip().splitlines()[-1]}")
        for line in done.stdout.splitlines():
            print(f"    {line.replace(str(path), 'clinic.yaml')}")

    soon = (date.today() + timedelta(days=12)).isoformat()
    past = (date.today() - timedelta(days=3)).isoformat()
    check("the example as written", written)
    lines = written.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if "item: hyaluronidase" in line) + 1
    soon_lines = lines.copy()
    soon_lines[first] = soon_lines[first].replace(soon_lines[first].split("expiry: ")[1].rstrip("}\n"), soon)
    check("hyaluronidase expires in 12 days", "".join(soon_lines))
    past_lines = lines.copy()
    past_lines[first] = past_lines[first].replace(past_lines[first].split("expiry: ")[1].rstrip("}\n"), past)
    check("hyaluronidase expired 3 days ago", "".join(past_lines))
    check("no clinic file anywhere", None)
    return codes


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        source = tmp / "big.jpg"
        source.write_bytes(jpeg_of_size(10 * 1024 * 1024))
        size = source.stat().st_size
        ours, base = [], []
        for run in range(RUNS):
            ours.append(accept(source, tmp / f"ours{run}"))
            base.append(bare_copy(source, tmp / f"base{run}"))
        print(f"accepting a {size / 1024 / 1024:.1f} MB JPEG at the prompt ({RUNS} runs, ms)")
        print(f"{'':<44}{'median':>8}{'min':>8}{'max':>8}")
        for label, values in (("read + check + EXIF + sha256 + copy + fsync", ours), ("bare copy + fsync", base)):
            print(f"{label:<44}{statistics.median(values) * 1000:>8.1f}{min(values) * 1000:>8.1f}"
                  f"{max(values) * 1000:>8.1f}")
        print(f"RATIO accept/bare-copy {statistics.median(ours) / statistics.median(base):.2f}")
        print()
        print("record size with 6 photographs (noisy JPEGs of about 3 MB, as a phone writes)")
        for label, count in record_sizes(tmp / "walk").items():
            print(f"  {label:<40}{count / 1024:>10.0f} KB")
        print()
        print("protocol clinic check on the example file")
        (tmp / "kit").mkdir()
        kit_codes(tmp / "kit")


if __name__ == "__main__":
    main()
