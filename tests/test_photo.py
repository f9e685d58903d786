"""Photographs as evidence: the path as pasted or dragged, the newest in the photos folder, every refusal
(missing, folder, FIFO, symlink, too large, not an image, a malformed JPEG, a decompression bomb), EXIF
capture time, and the copy into the evidence folder (modes, name by hash) and its verification."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from aesthetic_protocols import photo
from aesthetic_protocols.cli import app
from aesthetic_protocols.errors import NotRecorded


def jpeg(taken: str | None = "2026:12:06 14:02:11", size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG made here, with EXIF DateTimeOriginal when `taken` is given."""
    image = Image.new("RGB", size, (200, 120, 110))
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("line", "expected"), [
    ("/tmp/a b.jpg", "/tmp/a b.jpg"), ("  '/tmp/a b.jpg'  ", "/tmp/a b.jpg"), ('"/tmp/a.jpg"', "/tmp/a.jpg"),
    ("file:///tmp/a%20b.jpg", "/tmp/a b.jpg"), ("/tmp/a\\ b.jpg", "/tmp/a b.jpg"),
])
def test_a_pasted_or_dragged_path_is_read(line: str, expected: str) -> None:
    assert photo.typed_path(line) == Path(expected)


def test_an_empty_line_is_no_path() -> None:
    assert photo.typed_path("   ") is None and photo.typed_path("''") is None


def test_a_jpeg_is_read_with_its_capture_time(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(jpeg())
    taken = photo.read(path)
    assert (taken.media_type, taken.extension, taken.width, taken.height) == ("image/jpeg", "jpg", 64, 48)
    assert taken.captured == "2026-12-06T14:02:11"
    assert len(taken.sha256) == 64


def test_a_png_and_a_jpeg_without_exif_have_no_capture_time(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png())
    (tmp_path / "b.jpg").write_bytes(jpeg(taken=None))
    assert photo.read(tmp_path / "a.png").captured is None and photo.read(tmp_path / "a.png").media_type == "image/png"
    assert photo.read(tmp_path / "b.jpg").captured is None


def test_a_malformed_exif_date_is_no_capture_time(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(jpeg(taken="yesterday at noon"))
    assert photo.read(tmp_path / "a.jpg").captured is None


def refusal(path: Path) -> str:
    with pytest.raises(photo.PhotoRefused) as caught:
        photo.read(path)
    return str(caught.value)


def test_every_kind_of_bad_path_is_refused_with_a_reason_that_never_names_it(tmp_path: Path) -> None:
    secret = "Jane-Doe"
    real = tmp_path / f"{secret}.jpg"
    real.write_bytes(jpeg())
    (tmp_path / f"{secret}-dir").mkdir()
    os.mkfifo(tmp_path / f"{secret}.fifo")
    (tmp_path / f"{secret}-link.jpg").symlink_to(real)
    big = tmp_path / f"{secret}-big.jpg"
    with big.open("wb") as handle:
        handle.truncate(photo.MAX_BYTES + 1)
    (tmp_path / f"{secret}.txt").write_text("not an image")
    reasons = {name: refusal(tmp_path / name) for name in (
        f"{secret}-missing.jpg", f"{secret}-dir", f"{secret}.fifo", f"{secret}-link.jpg", f"{secret}-big.jpg",
        f"{secret}.txt")}
    assert list(reasons.values()) == [
        "no file at that path", "that path is a folder; give an image file",
        "that path is not a regular file (a pipe or a device)",
        "that path is a symbolic link; give the file itself", "the file is larger than 25 MB",
        "the file is not an image Pillow can read (JPEG, PNG or HEIC)"]
    assert not any(secret in reason for reason in reasons.values())


def test_a_malformed_jpeg_is_refused_quickly(tmp_path: Path) -> None:
    good = jpeg()
    cases = {"truncated": good[: len(good) // 2], "header only": good[:20],
             "garbage after SOI": b"\xff\xd8\xff" + os.urandom(4096),
             "bad segment length": good[:2] + b"\xff\xe1\xff\xff" + b"\x00" * 100}
    for name, data in cases.items():
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(data)
        began = time.perf_counter()
        assert refusal(path) == "the file is not an image Pillow can read (JPEG, PNG or HEIC)", name
        assert time.perf_counter() - began < 2, name


def test_a_decompression_bomb_is_refused(tmp_path: Path) -> None:
    # A PNG header declaring 20000 x 20000 pixels in 57 bytes: refused from its header, never decoded.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b""))
    assert refusal(path) == "the image declares more pixels than a photograph has"
    # Below Pillow's own limit, above ours.
    path.write_bytes(path.read_bytes().replace(header, struct.pack(">IIBBBBB", 9000, 9000, 8, 2, 0, 0, 0)).replace(
        struct.pack(">I", zlib.crc32(b"IHDR" + header)),
        struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 9000, 9000, 8, 2, 0, 0, 0)))))
    assert refusal(path) == f"the image has more than {photo.MAX_PIXELS:,} pixels"


def test_the_newest_image_since_the_step_began(tmp_path: Path) -> None:
    old = tmp_path / "old.jpg"
    old.write_bytes(b"x")
    time.sleep(0.02)
    began = time.time()
    assert photo.newest_since(tmp_path, began) is None
    first, second = tmp_path / "IMG_1.jpg", tmp_path / "IMG_2.HEIC"
    first.write_bytes(b"x")
    second.write_bytes(b"x")
    os.utime(first, (began + 1, began + 1))
    os.utime(second, (began + 2, began + 2))
    (tmp_path / "notes.txt").write_text("newest but not an image")
    assert photo.newest_since(tmp_path, began) == second
    assert photo.newest_since(tmp_path / "missing", began) is None


def test_store_copies_into_a_private_evidence_folder_named_by_hash(tmp_path: Path) -> None:
    source = tmp_path / "Jane Doe face.jpg"
    source.write_bytes(jpeg())
    log = tmp_path / "logs" / "20261206T140000Z-demo-abcd.jsonl"
    log.parent.mkdir()
    taken = photo.read(source)
    name = photo.store(taken, log)
    folder = tmp_path / "logs" / "20261206T140000Z-demo-abcd.evidence"
    assert name == f"{taken.sha256}.jpg" and (folder / name).read_bytes() == source.read_bytes()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert photo.store(taken, log) == name  # the same photograph twice: stored once
    assert taken.facts() == {"photo_sha256": taken.sha256, "photo_bytes": len(taken.data),
                             "photo_type": "image/jpeg", "photo_captured": "2026-12-06T14:02:11"}
    events = [{"event": "answer", "seq": 3, "value": name, **taken.facts()}, {"event": "answer", "value": "x"}]
    assert photo.verify_evidence(log, events) == []
    (folder / name).write_bytes(source.read_bytes() + b"!")
    assert photo.verify_evidence(log, events) == [
        f"evidence file {name} was altered (its sha256 differs from the log's)"]
    (folder / name).unlink()
    assert photo.verify_evidence(log, events) == [f"evidence file {name} is missing"]
    assert photo.verify_evidence(log, [{**events[0], "value": "../x.jpg"}]) == [
        "line 3: a photograph's evidence file name is not a hash"]


def test_a_symlinked_evidence_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    log = tmp_path / "s.jsonl"
    (tmp_path / "s.evidence").symlink_to(tmp_path / "elsewhere")
    source = tmp_path / "a.jpg"
    source.write_bytes(jpeg())
    with pytest.raises(NotRecorded, match="photograph NOT recorded"):
        photo.store(photo.read(source), log)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_size_in_words() -> None:
    assert photo.size_words(2_500_000) == "2.4 MB" and photo.size_words(300) == "1 KB"


# --- at a `photo` field, plain mode, through the CLI --------------------------------------------------------

PHOTOS = Path(__file__).parent / "fixtures" / "photos"
PROMPT = ("Photograph at presentation: photograph: paste or drag its file here (Enter = the newest in the --photos "
          "folder); required")


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(PHOTOS))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def answers(tmp_path: Path) -> list[dict[str, Any]]:
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return [event for event in map(json.loads, log.read_text().splitlines()) if event["event"] == "answer"]


def test_a_pasted_path_is_refused_then_taken_into_the_evidence_folder(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "Jane Doe.jpg"
    source.write_bytes(jpeg())
    result = runner.invoke(app, ["photo-record", "--plain"],
                           input=f"{tmp_path}/Jane Doe.png\n{tmp_path}\n'{source}'\n\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index(PROMPT)
    assert lines[start + 1:start + 6] == [
        "photograph not taken: no file at that path", PROMPT,
        "photograph not taken: that path is a folder; give an image file", PROMPT,
        "photograph: the file, 1 KB, taken 2026-12-06 14:02:11"]
    assert "Jane" not in result.output
    first, second = answers(tmp_path)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert (first["value"], first["photo_sha256"], first["photo_bytes"], first["photo_type"],
            first["photo_captured"]) == (f"{digest}.jpg", digest, source.stat().st_size, "image/jpeg",
                                         "2026-12-06T14:02:11")
    assert "photo_sha256" not in second and second["answer"] == ""  # the optional one skipped
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    evidence = log.with_suffix(".evidence") / f"{digest}.jpg"
    assert evidence.read_bytes() == source.read_bytes()
    verified = runner.invoke(app, ["log", "verify", str(log)])
    assert verified.exit_code == 0 and verified.stdout.endswith(", 1 photograph(s) checked\n")
    evidence.write_bytes(b"edited")
    verified = runner.invoke(app, ["log", "verify", str(log)])
    assert verified.exit_code == 1
    assert verified.stdout == f"{log}: altered: evidence file {digest}.jpg was altered (its sha256 differs from " \
                              "the log's)\n"


def test_enter_takes_the_newest_image_in_the_photos_folder_since_the_step_began(runner: CliRunner,
                                                                                tmp_path: Path) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    (folder / "IMG_0001.JPG").write_bytes(jpeg(taken="2026:12:06 09:00:00"))  # before the step began
    time.sleep(0.02)

    result = runner.invoke(app, ["photo-record", "--plain", "--photos", str(folder)], input="\n\n")
    # Without a new file, Enter at the required field says so; the optional one is skipped.
    assert "a photograph is required: paste or drag its file (none new in the photos folder since this step " \
           "began)" in result.stdout.splitlines()
    assert result.exit_code == 3
    (tmp_path / "logs").rename(tmp_path / "old-logs")
    (folder / "IMG_0002.JPG").write_bytes(jpeg(taken="2026:12:06 14:05:00"))
    os.utime(folder / "IMG_0002.JPG", (time.time() + 5, time.time() + 5))  # arrives "later" than the step start
    result = runner.invoke(app, ["photo-record", "--plain", "--photos", str(folder)], input="\n\n")
    assert result.exit_code == 0, result.output
    assert "photograph: IMG_0002.JPG, 1 KB, taken 2026-12-06 14:05:00" in result.stdout.splitlines()
    assert answers(tmp_path)[0]["photo_captured"] == "2026-12-06T14:05:00"


def test_photos_must_name_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["photo-record", "--plain", "--photos", str(tmp_path / "none")], input="")
    assert result.exit_code == 2 and result.stderr == "protocol: --photos: no folder at that path\n"


# --- photographs in the exported record ---------------------------------------------------------------------


@pytest.fixture()
def photo_log(runner: CliRunner, tmp_path: Path) -> tuple[Path, bytes]:
    big = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:12:06 14:02:11"
    Image.new("RGB", (1600, 1200), (180, 90, 90)).save(big, "JPEG", exif=exif.tobytes())
    source = tmp_path / "face.jpg"
    source.write_bytes(big.getvalue())
    walked = runner.invoke(app, ["photo-record", "--plain", "--patient", "R-1"], input=f"{source}\n{source}\n")
    assert walked.exit_code == 0, walked.output
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return log, big.getvalue()


def test_the_html_record_embeds_a_downscaled_copy_with_capture_time_and_hash(runner: CliRunner,
                                                                           photo_log: tuple[Path, bytes]) -> None:
    log, data = photo_log
    digest = hashlib.sha256(data).hexdigest()
    html = runner.invoke(app, ["log", "export", str(log), "--format", "html"]).stdout
    assert html.count("<figure class=\"photo\">") == 2
    assert (f"<figcaption>Photograph at presentation: taken 2026-12-06 14:02:11 (camera time); sha256 "
            f"<span class=\"mono\">{digest}</span></figcaption>") in html
    uri = html.split('<img src="data:image/jpeg;base64,')[1].split('"')[0]
    with Image.open(io.BytesIO(base64.b64decode(uri))) as preview:
        assert preview.size == (800, 600)
    words = runner.invoke(app, ["log", "export", str(log), "--format", "md"]).stdout
    assert "photograph (image/jpeg, " in words and "taken 2026-12-06 14:02:11)" in words
    anonymised = runner.invoke(app, ["log", "export", str(log), "--format", "html", "--anonymise"]).stdout
    assert "<figure" not in anonymised and "14:02" not in anonymised
    kept = runner.invoke(app, ["log", "export", str(log), "--format", "html", "--anonymise", "--with-photos"]).stdout
    assert kept.count("<figure class=\"photo\">") == 2 and "capture time removed" in kept and "14:02" not in kept


def test_the_fhir_bundle_carries_a_media_resource_per_photograph(runner: CliRunner,
                                                                 photo_log: tuple[Path, bytes]) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.media import Media
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    log, data = photo_log
    bundle = json.loads(runner.invoke(app, ["log", "export", str(log), "--format", "fhir"]).stdout)
    Bundle.model_validate(bundle)
    media = [entry for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Media"]
    assert len(media) == 1  # the same photograph twice: one Media, referenced twice
    Media.model_validate(media[0]["resource"])
    content = media[0]["resource"]["content"]
    assert {key: content[key] for key in ("contentType", "size", "hash", "creation", "title")} == {
        "contentType": "image/jpeg", "size": len(data),
        "hash": base64.b64encode(hashlib.sha1(data).digest()).decode(), "creation": "2026-12-06",
        "title": "Photograph at presentation"}
    assert base64.b64decode(content["data"]) == data
    (response,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    QuestionnaireResponse.model_validate(response)
    answers = [item["answer"][0] for group in response["item"] for item in group.get("item", []) if "answer" in item]
    assert [answer["valueReference"]["reference"] for answer in answers] == [media[0]["fullUrl"]] * 2
    anonymised = json.loads(runner.invoke(app, ["log", "export", str(log), "--format", "fhir", "--anonymise"]).stdout)
    assert not [e for e in anonymised["entry"] if e["resource"]["resourceType"] == "Media"]
    kept = json.loads(runner.invoke(app, ["log", "export", str(log), "--format", "fhir", "--anonymise",
                                          "--with-photos"]).stdout)
    (kept_media,) = [e["resource"] for e in kept["entry"] if e["resource"]["resourceType"] == "Media"]
    assert "creation" not in kept_media["content"]


def test_the_printed_record_shows_the_photographs(runner: CliRunner, photo_log: tuple[Path, bytes],
                                                  tmp_path: Path) -> None:
    from tests.test_browser import print_pdf, text_of

    log, _ = photo_log
    html = runner.invoke(app, ["log", "export", str(log), "--format", "html"]).stdout
    reader = print_pdf(html, tmp_path, "record")
    assert sum(len(page.images) for page in reader.pages) == 2
    assert "taken 2026-12-06 14:02:11 (camera time)" in text_of(reader)


def test_a_path_pasted_in_a_real_terminal_is_taken(tmp_path: Path) -> None:
    import sys

    import pexpect

    from aesthetic_protocols.faces.terminal import ENTER_GUARD_SECONDS, KEY_GUARD_SECONDS
    from tests.test_faces_terminal import env_for

    source = tmp_path / "face.jpg"
    source.write_bytes(jpeg())
    env = {**env_for(tmp_path), "AESTHETIC_PROTOCOLS_PATH": str(PHOTOS)}
    child = pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "photo-record"], env=env,
                          dimensions=(24, 100), encoding="utf-8", timeout=20)
    child.expect("paste or drag its file")
    time.sleep(KEY_GUARD_SECONDS + 0.1)
    child.send(f"'{source}'")
    child.send("\r")
    child.expect("photograph: the file, 1 KB, taken 2026-12-06 14:02:11")
    time.sleep(ENTER_GUARD_SECONDS + 0.1)  # an Enter this soon after a new screen is dropped
    child.send("\r")  # the optional second photograph skipped
    child.expect("Outcome: Recorded")
    time.sleep(ENTER_GUARD_SECONDS + 0.1)  # an Enter this soon after a new screen is dropped
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    first = answers(tmp_path)[0]
    assert first["photo_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
