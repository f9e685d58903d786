"""Photographs as evidence: a record field `type: photo` takes an image file into the session's evidence folder.

The practitioner pastes or drags a path (quotes, backslash-escaped spaces and `file://` URLs accepted), or
presses Enter for the newest image that arrived in the `--photos` folder since the step began. The file is
refused, with a reason and nothing written, when it is missing, a folder, a FIFO or other special file, a
symbolic link, larger than 25 MB, or not an image Pillow reads (JPEG, PNG; HEIC with pillow-heif). An
accepted one is copied into `<session>.evidence/` beside the log (0600 files in a 0700 folder, O_NOFOLLOW,
synced) under a name made of its sha256, never its own name; only then is the answer event written.

Reading is bounded: the bytes are read once, at most the size limit; Pillow's pixel limit stands and its
decompression-bomb warning is an error; a malformed file is "not an image". No message repeats the file's
name or content.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from aesthetic_protocols.durable import make_private_folder, sync_folder, write_new_file
from aesthetic_protocols.errors import NotRecorded
from aesthetic_protocols.events import Logged
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import (
    photo_answers as photo_answers,  # moved: the record reads it at every end screen
)
from aesthetic_protocols.tree import EVIDENCE_NAME_RE

MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 80_000_000  # about 9000 x 9000: more than any phone takes; Pillow's own bound is 89 million
EVIDENCE_SUFFIX = ".evidence"
# Pillow's format name -> (media type, file extension).
MEDIA = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "HEIF": ("image/heic", "heic")}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)


class PhotoRefused(Exception):
    """Why a file cannot be taken as a photograph (said at the field; the walk goes on)."""


@dataclass(frozen=True)
class Photo:
    """A photograph read and checked, not yet stored."""

    data: bytes
    sha256: str
    media_type: str
    extension: str
    width: int
    height: int
    captured: str | None  # EXIF capture time as written by the camera (local, no zone): 2026-12-06T14:02:11

    def facts(self) -> dict[str, Any]:
        """What the answer event holds about it, beside its evidence file's name (the answer's value)."""
        return {"photo_sha256": self.sha256, "photo_bytes": len(self.data), "photo_type": self.media_type,
                "photo_captured": self.captured}

    @property
    def name(self) -> str:
        """Its file's name in the evidence folder: its sha256, never its own name."""
        return f"{self.sha256}.{self.extension}"


def typed_path(line: str) -> Path | None:
    """The path in what was pasted or dragged in: surrounding quotes, a `file://` URL and backslash-escaped
    spaces (macOS Terminal's drag) undone. None for an empty line."""
    text = line.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if text.startswith("file://"):
        parts = urlsplit(text)
        text = unquote(parts.path)
    elif "\\ " in text and os.sep == "/":
        text = text.replace("\\ ", " ")
    return Path(text).expanduser() if text else None


def newest_since(folder: Path, since: float) -> Path | None:
    """The newest image file (by its suffix) in `folder` that arrived at or after `since` (a time.time()).
    A file arrives when it is written or when its inode changes (a sync tool that keeps the camera's
    modification time still makes a new inode: ctime)."""
    best: tuple[float, Path] | None = None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if not entry.name.lower().endswith(IMAGE_SUFFIXES):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        arrived = max(st.st_mtime, st.st_ctime)
        if stat.S_ISREG(st.st_mode) and arrived >= since and (best is None or arrived > best[0]):
            best = (arrived, Path(entry.path))
    return None if best is None else best[1]


def read(path: Path) -> Photo:
    """Read and check an image file; PhotoRefused with the reason (never the name) when it cannot be one."""
    try:
        st = os.lstat(path)
    except (OSError, ValueError):
        raise PhotoRefused("no file at that path") from None
    if stat.S_ISLNK(st.st_mode):
        raise PhotoRefused("that path is a symbolic link; give the file itself")
    if stat.S_ISDIR(st.st_mode):
        raise PhotoRefused("that path is a folder; give an image file")
    if not stat.S_ISREG(st.st_mode):
        raise PhotoRefused("that path is not a regular file (a pipe or a device)")
    if st.st_size > MAX_BYTES:
        raise PhotoRefused(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    data = _read_bounded(path)
    return _inspect(data)


def _read_bounded(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_BINARY)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PhotoRefused("that path is a symbolic link; give the file itself") from None
        raise PhotoRefused(f"the file cannot be read ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the lstat
            raise PhotoRefused("that path is not a regular file (a pipe or a device)")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > MAX_BYTES:
                raise PhotoRefused(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
            chunks.append(chunk)
    except OSError as exc:
        raise PhotoRefused(f"the file cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _inspect(data: bytes) -> Photo:
    """Pillow's reading of the bytes: format, size, EXIF capture time, with every bound in force."""
    import io

    from PIL import Image

    _register_heif()
    not_image = PhotoRefused("the file is not an image Pillow can read (JPEG, PNG or HEIC)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(MEDIA)) as image:
                fmt = str(image.format)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise PhotoRefused(f"the image has more than {MAX_PIXELS:,} pixels")
                image.verify()  # reads the whole structure without decoding the pixels (the image is spent)
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                captured = _captured(image)
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("the image declares more pixels than a photograph has") from None
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, struct.error... on malformed files
        raise not_image from None
    if fmt not in MEDIA:
        raise not_image
    media_type, extension = MEDIA[fmt]
    return Photo(data, hashlib.sha256(data).hexdigest(), media_type, extension, width, height, captured)


def _captured(image: Any) -> str | None:
    """EXIF DateTimeOriginal (else DateTime) as ISO `YYYY-MM-DDTHH:MM:SS`; None when absent or malformed."""
    try:
        exif = image.getexif()
        raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    except Exception:  # a malformed EXIF block: the photograph stands, its capture time is unknown
        return None
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _register_heif() -> None:
    """HEIC support when the optional extra pillow-heif is installed."""
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    register_heif_opener()


def evidence_folder(log: Path) -> Path:
    """`<session>.evidence/` beside the session log."""
    return log.with_name(log.stem + EVIDENCE_SUFFIX)


def store(photo: Photo, log: Path) -> str:
    """Copy the photograph into the session's evidence folder (made 0700), 0600, synced, named by its
    sha256; returns that name. The same photograph twice is stored once. NotRecorded when it cannot be."""
    folder = evidence_folder(log)
    name = photo.name
    try:
        if folder.is_symlink():  # the folder itself must be ours, not a link to somewhere else
            raise NotRecorded("the evidence folder beside the log is a symbolic link; photograph NOT recorded")
        made = not folder.exists()
        problem = make_private_folder(folder)
        if made:
            sync_folder(log.parent)  # the new folder's own name, before anything names a file in it
        if problem is not None:
            raise NotRecorded(f"the evidence folder beside the log is {problem}; photograph NOT recorded")
        target = folder / name
        if not target.exists():
            write_new_file(target, photo.data)
    except OSError as exc:
        raise NotRecorded(f"the photograph could not be stored ({exc.strerror}); photograph NOT recorded") from None
    return name


def verify_evidence(log: Path, events: Iterable[Logged | Mapping[str, Any]]) -> list[str]:
    """Each photograph the log's answers took, checked against its evidence file: the problems, one a line."""
    folder = evidence_folder(log)
    problems: list[str] = []
    for seq, event in photo_answers(events):
        name = str(event.value or "")
        if not EVIDENCE_NAME_RE.match(name):
            problems.append(f"line {seq}: a photograph's evidence file name is not a hash")
            continue
        try:
            data = (folder / name).read_bytes()
        except OSError:
            problems.append(f"evidence file {name} is missing")
            continue
        if hashlib.sha256(data).hexdigest() != event.photo_sha256 or len(data) != event.photo_bytes:
            problems.append(f"evidence file {name} was altered (its sha256 differs from the log's)")
    return problems


def size_words(count: int) -> str:
    """2.4 MB, 380 KB."""
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{max(1, round(count / 1024))} KB"


# --- photographs in the exported record ---------------------------------------------------------------------

PREVIEW_PX = 800  # the longest side of the copy embedded in the HTML record


def evidence_files(log: Path, events: Iterable[Logged | Mapping[str, Any]]) -> dict[str, bytes]:
    """The photographs' bytes by sha256, for those whose evidence file is there and unaltered (`log verify`
    names the others)."""
    found: dict[str, bytes] = {}
    folder = evidence_folder(log)
    for _, event in photo_answers(events):
        name, digest = str(event.value or ""), str(event.photo_sha256)
        if digest in found or not EVIDENCE_NAME_RE.match(name):
            continue
        try:
            data = (folder / name).read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == digest:
            found[digest] = data
    return found


def preview_uri(data: bytes) -> str | None:
    """A JPEG copy no larger than 800 px a side, as a data URI (None if the file cannot be read as an image)."""
    import base64
    import io

    from PIL import Image, ImageOps

    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(MEDIA)) as image:
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    return None
                image.draft("RGB", (PREVIEW_PX, PREVIEW_PX))  # JPEG: decode at a reduced scale, cheaply
                copy = ImageOps.exif_transpose(image).convert("RGB")
                copy.thumbnail((PREVIEW_PX, PREVIEW_PX))
                out = io.BytesIO()
                copy.save(out, "JPEG", quality=80)
    except Exception:  # a file that verified when taken but no longer decodes: no preview, its facts remain
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
