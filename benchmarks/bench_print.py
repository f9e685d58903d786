"""Printed pages: every bundled card and the record of the longest bundled scenario, through headless Chromium.

    python benchmarks/bench_print.py [--runs 3] [--keep DIR]

Prints each bundled tree's card (`protocol card ID`) and the HTML record of the longest bundled scenario
(most answers), walked in plain mode through the CLI and exported with `protocol log export S --format
html`, to PDF with headless Chromium, and reads the PDFs with pypdf: pages per card (target: 2 each, the
wall side and the details), pages and bytes of the record. The time to print the record is compared with
printing a one-line page (the browser's own cost, same run); RATIO record/one-line. Needs `chromium` on
PATH; `--keep DIR` keeps the HTML and PDF files (view them with `pdftoppm -png -r 60`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from aesthetic_protocols.model import WaitAnswer
from aesthetic_protocols.scenarios import load_scenarios, typed_line
from aesthetic_protocols.search import bundled_dir, file_id, protocol_files

SCRIPTS = Path(sys.executable).parent


def print_pdf(browser: str, html: Path, profile: Path) -> tuple[Path, float]:
    pdf = html.with_suffix(".pdf")
    start = time.perf_counter()
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
                   capture_output=True, check=True, timeout=180)
    return pdf, time.perf_counter() - start


def protocol(*args: str, stdin: str | None = None, env: dict[str, str]) -> str:
    done = subprocess.run([str(SCRIPTS / "protocol"), *args], input=stdin, capture_output=True, text=True,
                          check=False, env=env)
    if done.returncode != 0:
        print(f"VOID: protocol {' '.join(args)} exited {done.returncode}\n{done.stderr[-2000:]}")
        sys.exit(1)
    return done.stdout


def longest_scenario() -> tuple[str, str, list[str]]:
    """(protocol id, scenario name, answers) of the bundled scenario with the most answers that a pipe can type:
    none at a wait (a gated wait asks to confirm a continue before its due time, which a real-time walk is)."""
    best: tuple[str, str, list[str]] = ("", "", [])
    for path in sorted(bundled_dir().glob("*.scenarios.yaml")):
        for scenario in load_scenarios(path).scenarios:
            if any(isinstance(answer, WaitAnswer) for answer in scenario.answers):
                continue
            if len(scenario.answers) > len(best[2]):
                best = (file_id(path), scenario.name, [typed_line(a) for a in scenario.answers])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    browser = shutil.which("chromium")
    if browser is None:
        print("VOID: no chromium on PATH (Debian package chromium)")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, AESTHETIC_PROTOCOLS_LOG_DIR=str(Path(tmp) / "logs"),
                   AESTHETIC_PROTOCOLS_CACHE_DIR=str(Path(tmp) / "cache"))
        profile = Path(tmp) / "profile"
        print(f"{'card':<28}{'pages':>6}{'PDF bytes':>11}")
        for path in protocol_files(bundled_dir()):
            html = out / f"card-{path.stem}.html"
            html.write_text(protocol("card", path.stem, env=env), encoding="utf-8")
            pdf, _ = print_pdf(browser, html, profile)
            print(f"{path.stem:<28}{len(PdfReader(pdf).pages):>6}{pdf.stat().st_size:>11}")
        tree, name, answers = longest_scenario()
        protocol(tree, "--plain", "--patient", "R-0042", "--practitioner", "Dr A Nurse",
                 stdin="".join(f"{answer}\n" for answer in answers), env=env)
        (log,) = (Path(tmp) / "logs").glob("*.jsonl")
        record = out / "record.html"
        record.write_text(protocol("log", "export", str(log), "--format", "html", env=env), encoding="utf-8")
        small = out / "one-line.html"
        small.write_text("<!doctype html><title>x</title><p>One line.</p>", encoding="utf-8")
        times: dict[str, list[float]] = {"record": [], "one-line": []}
        for _ in range(args.runs):
            pdf, seconds = print_pdf(browser, record, profile)
            times["record"].append(seconds)
            times["one-line"].append(print_pdf(browser, small, profile)[1])
        pages = len(PdfReader(pdf).pages)
        events = len(log.read_text().splitlines())
        print(f"record of {tree}/{name} ({len(answers)} answers, {events} events): {pages} pages, "
              f"HTML {record.stat().st_size} bytes, PDF {pdf.stat().st_size} bytes")
        record_s, base_s = statistics.median(times["record"]), statistics.median(times["one-line"])
        print(f"print to PDF: record {record_s * 1000:.0f} ms, one-line page {base_s * 1000:.0f} ms (medians)")
        print(f"RATIO record/one-line = {record_s / base_s:.2f}")


if __name__ == "__main__":
    main()
