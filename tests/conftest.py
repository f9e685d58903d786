"""Small generic fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Writer = Callable[[str, "str | bytes"], Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """`write(name, content)`: a file in the test's own folder (text as UTF-8, bytes as they are)."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
        return path

    return _write
