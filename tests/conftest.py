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


@pytest.fixture(autouse=True, scope="session")
def _private_protocol_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or write the user's real protocol cache (subprocesses inherit this too)."""
    import os

    os.environ["AESTHETIC_PROTOCOLS_CACHE_DIR"] = str(tmp_path_factory.mktemp("protocol-cache"))
