"""The search path: bundled folder, environment, --protocols; files, ids and shadowing."""

from __future__ import annotations

from pathlib import Path

import pytest

from aesthetic_protocols.errors import UsageError
from aesthetic_protocols.search import ENV_PATH, bundled_dir, discover, file_id, protocol_files, resolve_id, search_path

ROOT = Path(__file__).resolve().parents[1]


def test_in_a_checkout_the_bundled_folder_is_the_top_level_protocols_folder() -> None:
    assert bundled_dir() == ROOT / "protocols"
    assert [path.name for path in protocol_files(bundled_dir())] == [
        "nodules.yaml", "pre-treatment-check.yaml", "ptosis.yaml", "vascular-occlusion.yaml"]


def test_the_search_path_is_bundled_then_the_environment_then_the_options(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_PATH, f"{tmp_path / 'a'}::{tmp_path / 'b'}")
    assert search_path([tmp_path / "c"]) == [bundled_dir(), tmp_path / "a", tmp_path / "b", tmp_path / "c"]


def test_a_later_folder_shadows_an_earlier_one(tmp_path: Path) -> None:
    for folder in ("first", "second"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ptosis.yaml").write_text("id: ptosis\n")
    (tmp_path / "second" / "ptosis.scenarios.yaml").write_text("protocol: ptosis\n")  # not a protocol file
    found = discover([tmp_path / "first", tmp_path / "second"])
    assert list(found) == ["ptosis"]
    assert (found["ptosis"].path, found["ptosis"].shadows) == (tmp_path / "second" / "ptosis.yaml",
                                                               tmp_path / "first" / "ptosis.yaml")
    assert resolve_id("ptosis", [tmp_path / "first", tmp_path / "second"]) == found["ptosis"]


def test_file_ids_drop_the_protocol_or_scenario_suffix() -> None:
    assert [file_id(Path(name)) for name in ("ptosis.yaml", "ptosis.scenarios.yaml", "notes.txt")] == [
        "ptosis", "ptosis", "notes"]


@pytest.mark.parametrize(("typed", "message"), [
    ("protocols/ptosis.yaml", "a protocol id is a slug such as vascular-occlusion (lower-case letters, digits, '-'), "
                              "not a path; see 'protocol list'"),
    ("jane-smith", "no protocol with that id on the search path; see 'protocol list'"),
])
def test_a_path_or_an_unknown_id_is_a_usage_error_that_does_not_repeat_it(typed: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        resolve_id(typed, [bundled_dir()])
    assert raised.value.message == message
