"""The protocol search path: the folders searched, the protocol files in them, and the file an id names.

Plain paths only: a chairside start finds its protocol here without importing the parser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from aesthetic_protocols.errors import UsageError
from aesthetic_protocols.plain_data import dataclass

ENV_PATH = "AESTHETIC_PROTOCOLS_PATH"
PROTOCOL_SUFFIX = ".yaml"
SCENARIO_SUFFIX = ".scenarios.yaml"
# The transcripts `protocol scenarios --update` writes beside the scenario file: neither a protocol nor
# scenarios, so no search or validation reads one as a tree.
TRANSCRIPT_SUFFIX = ".transcripts.yaml"


def bundled_dir() -> Path:
    """The protocols shipped inside the wheel; in a source checkout, the top-level `protocols/`.

    The wheel installs them as a plain folder beside this module, so a path is all it takes
    (importlib.resources would only add zipfile and tempfile to every start).
    """
    packaged = Path(__file__).parent / "protocols"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "protocols"


def search_path(extra: Sequence[Path] = ()) -> list[Path]:
    """Bundled, then AESTHETIC_PROTOCOLS_PATH, then --protocols dirs; later ones shadow earlier ones."""
    dirs = [bundled_dir()]
    env = os.environ.get(ENV_PATH, "")
    dirs += [Path(part) for part in env.split(os.pathsep) if part]
    dirs += list(extra)
    return dirs


def protocol_files(folder: Path) -> Iterator[Path]:
    """The protocol files of a folder (not its scenario files), sorted by name."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if is_protocol_name(path.name) and path.is_file():
            yield path


def is_protocol_name(name: str) -> bool:
    """A protocol file's name: `*.yaml`, not a scenario or transcript file."""
    return name.endswith(PROTOCOL_SUFFIX) and not name.endswith((SCENARIO_SUFFIX, TRANSCRIPT_SUFFIX))


def file_id(path: Path) -> str:
    """The id a protocol or scenario file's name gives (`ptosis.yaml`, `ptosis.scenarios.yaml` -> ptosis)."""
    name = path.name
    for suffix in (SCENARIO_SUFFIX, PROTOCOL_SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def validation_targets(paths: Sequence[Path], dirs: Sequence[Path]) -> list[Path]:
    """What `validate` checks: the given files, the YAML files under given folders (hidden ones skipped),
    or, with no paths, every protocol on the search path and the scenario file beside each."""
    if not paths:
        files = [found.path for found in sorted(discover(dirs).values(), key=lambda f: str(f.path))]
        beside = [path.with_name(file_id(path) + SCENARIO_SUFFIX) for path in files]
        return files + [path for path in beside if path.is_file()]
    targets: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob(f"*{PROTOCOL_SUFFIX}") if p.is_file()
                           and not p.name.endswith(TRANSCRIPT_SUFFIX)
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                raise UsageError(f"no protocol files (*.yaml) under {path}")
            targets += found
        elif path.is_file():
            targets.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return targets


@dataclass(frozen=True)
class Found:
    """A protocol file on the search path, and the earlier one with the same id it shadows, if any."""

    id: str
    path: Path
    shadows: Path | None = None


def discover(dirs: Sequence[Path]) -> dict[str, Found]:
    """Every protocol id on the search path -> its file; a later folder's file shadows an earlier one."""
    found: dict[str, Found] = {}
    for folder in dirs:
        for path in protocol_files(folder):
            protocol_id = file_id(path)
            earlier = found.get(protocol_id)
            found[protocol_id] = Found(protocol_id, path, earlier.path if earlier else None)
    return found


def resolve_id(protocol_id: str, dirs: Sequence[Path]) -> Found:
    """The file of a protocol id; a usage error for a path given as an id or an unknown id."""
    from aesthetic_protocols.tree import SLUG_RE  # here: listing ids (shell completion) needs no pydantic

    if not SLUG_RE.match(protocol_id) or len(protocol_id) > 64:
        raise UsageError("a protocol id is a slug such as vascular-occlusion (lower-case letters, digits, '-'), "
                         "not a path; see 'protocol list'")
    found = discover(dirs).get(protocol_id)
    if found is None:  # what was typed is not repeated: it could be anything, a patient's name included
        raise UsageError("no protocol with that id on the search path; see 'protocol list'")
    return found
