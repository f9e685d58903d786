"""What the benchmark scripts share: an installed-like environment for subprocesses, and the result table."""

from __future__ import annotations

import os
import statistics
from pathlib import Path


def bytecode_env(tmp: Path) -> dict[str, str]:
    """Bytecode caching on (into a temp folder, never beside the sources), as for an installed wheel.

    With PYTHONDONTWRITEBYTECODE set (as in some dev shells) an editable checkout compiles its own modules
    from source at every start while the dependencies' .pyc files were written by pip: unfair to ours.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def print_table(samples: dict[str, list[float]], scale: float, digits: int) -> float:
    """Median, min, max (times `scale`) and the ratio to the LAST row, which is the baseline; returns it."""
    print(f"{'command':<46}{'median':>8}{'min':>8}{'max':>8}{'ratio':>8}")
    base = statistics.median(samples[list(samples)[-1]])
    for name, values in samples.items():
        print(f"{name:<46}{statistics.median(values) * scale:>8.{digits}f}{min(values) * scale:>8.{digits}f}"
              f"{max(values) * scale:>8.{digits}f}{statistics.median(values) / base:>8.2f}")
    return base
