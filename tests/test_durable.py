"""The platform layer: a new file is whole or absent; private folders are made, never narrowed."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from aesthetic_protocols import durable


def test_a_new_file_is_written_whole_and_private(tmp_path: Path) -> None:
    target = tmp_path / "anchor.head"
    durable._write_new_file(target, b"head\n")
    assert target.read_bytes() == b"head\n"
    assert target.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        durable._write_new_file(target, b"again\n")
    assert target.read_bytes() == b"head\n"


@pytest.mark.parametrize("failing", ["_write_all", "_sync"])
def test_a_failed_write_or_sync_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      failing: str) -> None:
    def fail(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        durable._write_new_file(tmp_path / "x.head.tmp-1", b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_private_folder_is_made_with_its_parents(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    assert durable.make_private_folder(folder) is None
    assert folder.stat().st_mode & 0o777 == 0o700 and (tmp_path / "a").stat().st_mode & 0o777 == 0o700


def test_an_existing_folder_is_judged_never_narrowed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    assert durable.make_private_folder(shared) == "writable by group or others"
    assert shared.stat().st_mode & 0o777 == 0o777
    (tmp_path / "file").write_text("")
    assert durable.make_private_folder(tmp_path / "file") == "not a folder"


def test_write_new_file_is_private_synced_and_never_follows_or_replaces(tmp_path: Path) -> None:
    from aesthetic_protocols.durable import sync_folder, write_new_file

    target = tmp_path / "new.bin"
    write_new_file(target, b"photo bytes")
    assert target.read_bytes() == b"photo bytes" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_new_file(target, b"other")
    assert target.read_bytes() == b"photo bytes"
    (tmp_path / "elsewhere").write_bytes(b"kept")
    (tmp_path / "link.bin").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        write_new_file(tmp_path / "link.bin", b"through the link")
    assert (tmp_path / "elsewhere").read_bytes() == b"kept"
    sync_folder(tmp_path)  # no error on an ordinary folder
