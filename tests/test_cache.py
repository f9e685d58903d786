from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
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
    assert len(list(cached.glob("*.json"))) == 1
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
    assert len(list(cached.glob("*.json"))) == 3


def test_an_entry_writable_by_others_is_ignored(cached: Path, tmp_path: Path) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    cache.load_valid(tree, TODAY)
    (entry,) = cached.glob("*.json")
    key = entry.stem
    assert cache.get(key) is not None
    os.chmod(entry, 0o666)
    assert cache.get(key) is None
    os.chmod(entry, 0o600)
    entry.write_bytes(b"not json")
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
    (entry,) = cached.glob("*.json")
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


class _Payload:
    """Unpickling this runs `touch SENTINEL`: what a planted pickle would do."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.sentinel}",)


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aesthetic_protocols", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60, check=False)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes and os.system")
def test_planted_pickles_and_json_under_every_key_run_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aesthetic_protocols import clinic

    folder, logs, sentinel = tmp_path / "cache", tmp_path / "logs", tmp_path / "SENTINEL"
    clinic_file = tmp_path / "clinic.yaml"  # the walk reads it through the cache too, under a key of its own
    clinic_file.write_text(clinic.example(date.today()))
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    env = os.environ | {cache.CACHE_ENV: str(folder), "AESTHETIC_PROTOCOLS_LOG_DIR": str(logs),
                        clinic.CLINIC_ENV: str(clinic_file)}
    commands: list[tuple[list[str], str, int]] = [
        (["list"], "", 0), (["show", "vascular-occlusion"], "", 0), (["card", "vascular-occlusion"], "", 0),
        (["scenarios"], "", 0), (["vascular-occlusion", "--plain", "--log-dir", str(logs)], "quit\n", 3)]
    for args, stdin, code in commands:  # every key the tool reads, as the tool itself computes them
        assert _cli(env, *args, stdin=stdin).returncode == code
    keys = sorted(entry.stem for entry in folder.glob("*.json"))
    assert len(keys) >= 5
    assert sum("clinic" in json.loads((folder / f"{k}.json").read_text(encoding="utf-8")) for k in keys) == 1
    evil = pickle.dumps(_Payload(sentinel))
    planted_json = json.dumps({"format": cache.FORMAT, "key": "", "path": "x", "sha256": "",
                               "py/reduce": [{"py/function": "os.system"}, {"py/tuple": [f"touch {sentinel}"]}],
                               "protocol": {"__reduce__": f"!!python/object/apply:os.system ['touch {sentinel}']"},
                               "warnings": []})
    for entry_key in keys:
        for name in (f"{entry_key}.pickle", f"{entry_key}.pkl", f"{entry_key}", f"{entry_key}.json"):
            planted = folder / name
            planted.write_bytes(evil if not name.endswith(".json") else planted_json.replace('"key":""',
                                                                                              f'"key":"{entry_key}"').encode())
            os.chmod(planted, 0o600)
    for args, stdin, code in commands:
        done = _cli(env, *args, stdin=stdin)
        assert done.returncode == code, done.stderr
    assert not sentinel.exists()
    for entry_key in keys:  # each planted JSON entry was ignored and rebuilt as a real one
        rebuilt = json.loads((folder / f"{entry_key}.json").read_text(encoding="utf-8"))
        assert rebuilt["key"] == entry_key and "py/reduce" not in rebuilt
        assert "clinic" in rebuilt or cache.get(entry_key) is not None
    assert (folder / f"{keys[0]}.pickle").read_bytes() == evil  # never read, never run


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_folder_or_entry_open_to_others_as_a_clone_leaves_it_is_ignored(cached: Path, tmp_path: Path) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    cache.load_valid(tree, TODAY)
    (entry,) = cached.glob("*.json")
    os.chmod(entry, 0o644)  # as git checks a file out
    assert cache.get(entry.stem) is None
    os.chmod(entry, 0o600)
    os.chmod(cached, 0o755)  # as git makes a folder
    assert cache.get(entry.stem) is None
    os.chmod(cached, 0o700)
    assert cache.get(entry.stem) is not None
    os.symlink(entry, cached / "linked.json")
    assert cache.get("linked") is None  # a symlink is never an entry
    entry.write_text(entry.read_text().replace('"key":"', '"key":"x'))
    assert cache.get(entry.stem) is None  # an entry carrying another key


def test_an_entry_for_other_bytes_is_a_miss(cached: Path, tmp_path: Path) -> None:
    tree = tmp_path / "every-kind.yaml"
    tree.write_bytes(FIXTURE.read_bytes())
    cache.load_valid(tree, TODAY)
    (entry,) = cached.glob("*.json")
    assert cache.get(entry.stem, "0" * 64) is None
    assert cache.get(entry.stem) is not None


def test_a_clinic_file_is_served_from_the_cache_without_parsing_and_a_change_misses(
        cached: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aesthetic_protocols import clinic, clinic_data, loader, rebuild

    path = tmp_path / "clinic.yaml"
    path.write_text(clinic.example(TODAY))
    first = cache.load_valid_clinic(path, TODAY)
    assert len(list(cached.glob("*.json"))) == 1

    def no_parsing(*_: object, **__: object) -> None:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(loader, "parse_source", no_parsing)
    again = cache.load_valid_clinic(path, TODAY)
    # The walk's plain classes, holding what the validated file holds, and the file's own hash for the log.
    assert type(again.clinic) is clinic_data.Clinic and isinstance(first.clinic, clinic_data.Clinic)
    assert rebuild.dump(again.clinic) == rebuild.dump(first.clinic)
    assert again.sha256 == first.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(clinic.example(TODAY).replace("quantity: 4", "quantity: 5", 1))
    with pytest.raises(AssertionError, match="parsed although cached"):  # a changed file is validated again
        cache.load_valid_clinic(path, TODAY)
