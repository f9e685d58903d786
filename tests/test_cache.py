from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from aesthetic_protocols import cache, checks, journal

FIXTURE = Path(__file__).parent / "fixtures" / "valid" / "every-kind.yaml"
TODAY = date(2026, 11, 27)


@pytest.fixture()
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    return folder


def test_a_validated_protocol_is_served_from_the_cache_without_parsing(cached: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    first, _ = cache.load_valid(tree, TODAY)
    assert len(list(cached.glob("*.pickle"))) == 1
    assert cached.stat().st_mode & 0o777 == 0o700

    def no_parsing(*_: object, **__: object) -> None:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(checks, "parse_source", no_parsing)
    again, _ = cache.load_valid(tree, TODAY)
    assert again.protocol == first.protocol and again.source.sha256 == first.source.sha256


def test_any_change_to_the_file_or_the_day_misses(cached: Path, tmp_path: Path) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    cache.load_valid(tree, TODAY)
    tree.write_text(FIXTURE.read_text().replace("title: Treat", "title: Treat now"))
    changed, _ = cache.load_valid(tree, TODAY)
    assert changed.protocol.nodes["treat"].title == "Treat now"
    cache.load_valid(tree, date(2026, 11, 28))
    assert len(list(cached.glob("*.pickle"))) == 3


def test_an_entry_writable_by_others_is_ignored(cached: Path, tmp_path: Path) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    cache.load_valid(tree, TODAY)
    (entry,) = cached.glob("*.pickle")
    key = entry.stem
    assert cache.get(key) is not None
    os.chmod(entry, 0o666)
    assert cache.get(key) is None
    os.chmod(entry, 0o600)
    entry.write_bytes(b"not a pickle")
    assert cache.get(key) is None


def test_caching_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    assert cache.cache_dir() is None
    cache.load_valid(FIXTURE, TODAY)  # still loads


def test_the_cache_uses_the_one_ownership_check_of_the_journal() -> None:
    assert cache.is_private is journal.is_private
    assert not hasattr(cache, "_trusted")


@pytest.mark.skipif(os.name != "posix", reason="uids")
def test_a_cache_folder_of_another_user_is_ignored(cached: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    cache.load_valid(tree, TODAY)
    (entry,) = cached.glob("*.pickle")
    assert cache.get(entry.stem) is not None
    monkeypatch.setattr(os, "getuid", lambda: cached.stat().st_uid + 1)
    assert cache.get(entry.stem) is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_missing_parents_are_made_0700_under_umask_000(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "a" / "b" / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    old = os.umask(0)
    try:
        cache.load_valid(tree, TODAY)
    finally:
        os.umask(old)
    assert [oct(p.stat().st_mode & 0o777) for p in (folder, folder.parent, folder.parent.parent)] == ["0o700"] * 3
