"""The wheel carries the bundled trees (an editable install would hide their absence)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ("vascular-occlusion", "ptosis", "nodules", "pre-treatment-check")


def test_the_wheel_ships_the_protocols_and_finds_them_beside_the_package(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("aesthetic_protocols-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for tree in TREES:
        assert f"aesthetic_protocols/protocols/{tree}.yaml" in names
        assert f"aesthetic_protocols/protocols/{tree}.scenarios.yaml" in names
    assert "aesthetic_protocols/protocols/protocol.schema.json" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)  # license = "MIT" ships its text
    assert {f"aesthetic_protocols/report/templates/{name}.j2" for name in ("record.html", "card.md")} <= names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    # Import from the unpacked wheel, ahead of the editable install, and ask where the trees are.
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); from aesthetic_protocols import search; "
             "print(search.bundled_dir()); print(sorted(search.discover([search.bundled_dir()])))")
    shown = subprocess.run([sys.executable, "-c", probe, str(unpacked)], capture_output=True, text=True, check=True,
                           timeout=120)
    folder, ids = shown.stdout.splitlines()
    assert Path(folder) == unpacked / "aesthetic_protocols" / "protocols"
    assert ids == str(sorted(TREES))
    # The card renders from the unpacked wheel's own templates.
    card = ("import sys; sys.path.insert(0, sys.argv[1]); from aesthetic_protocols import loader, search; "
            "from aesthetic_protocols.report import card, templating; "
            "p = loader.load_file(search.bundled_dir() / 'ptosis.yaml'); "
            "print(card.card_markdown(p.protocol, p.source.sha256).splitlines()[0]); print(templating.__file__)")
    first, module = subprocess.run([sys.executable, "-c", card, str(unpacked)], capture_output=True, text=True,
                                   check=True, timeout=120).stdout.splitlines()
    assert first.endswith(": quick reference card") and Path(module).is_relative_to(unpacked)


def test_python_dash_m_runs_the_cli() -> None:
    shown = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "--version"], capture_output=True, text=True,
                           timeout=120)
    assert (shown.returncode, shown.stdout) == (0, "aesthetic-protocols 0.2.0\n")


def test_pre_commit_hook_runs_validate() -> None:
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "protocol-validate" and hook["entry"].startswith("protocol validate")


@pytest.mark.parametrize(("path", "checked"), [
    ("protocols/ptosis.yaml", True),
    ("protocols/ptosis.scenarios.yaml", True),
    ("protocols/ptosis.transcripts.yaml", False),
    ("clinic/protocols/lip/vascular-occlusion.yml", True),
    (".github/workflows/ci.yml", False),
    (".pre-commit-config.yaml", False),
    ("docker-compose.yaml", False),
    ("protocols/README.md", False),
])
def test_pre_commit_hook_checks_only_protocol_files(path: str, checked: bool) -> None:
    import re

    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    exclude = hook.get("exclude", "^$")
    # pre-commit's own test: `files` searched, `exclude` searched, on the repository-relative path.
    assert (bool(re.search(hook["files"], path)) and not re.search(exclude, path)) is checked


def test_the_license_is_mit_for_the_contributors() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 aesthetic-protocols contributors\n")


def _project_files() -> list[str]:
    """The project's files: git's list in a checkout; every file but caches and environments in an unpacked
    sdist, which has no .git (its own tests must pass there too)."""
    if (ROOT / ".git").exists():
        tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True,
                                 timeout=120)
        return tracked.stdout.splitlines()
    skipped = {".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "dist", "build"}
    return [str(path.relative_to(ROOT)) for path in ROOT.rglob("*")
            if path.is_file() and not skipped & set(path.relative_to(ROOT).parts)]


def test_nothing_in_the_repository_points_outside_it() -> None:
    # The format and the rules are documented here (docs/); nothing cites a design file that is not shipped.
    pattern = __import__("re").compile(r"DESIGN\.md|DESIGN section|\.\./shared|FACTS\.md")
    offenders = [name for name in _project_files()
                 if (ROOT / name).is_file() and name != "tests/test_packaging.py"
                 and pattern.search((ROOT / name).read_text(errors="replace"))]
    assert offenders == []


def test_the_sdist_s_own_packaging_and_docs_tests_pass_outside_git(tmp_path: Path) -> None:
    import tarfile

    built = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (sdist,) = tmp_path.glob("aesthetic_protocols-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (root,) = (tmp_path / "unpacked").iterdir()
    assert not (root / ".git").exists() and (root / "tests" / "test_packaging.py").is_file()
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_packaging.py",
                          "-k", "points_outside or license or pre_commit", "tests/test_docs.py"],
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:]
