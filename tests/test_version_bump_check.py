"""`.ci/version-bump-check`: each bundled tree against its previous version in git; a clinical change
without a version bump fails; a clone without history passes, saying so."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "version-bump-check"
TREE = (ROOT / "protocols" / "ptosis.yaml").read_text()
LABEL = "Swallowing, speech or breathing difficulty"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(repo: Path, text: str, message: str) -> str:
    (repo / "protocols" / "ptosis.yaml").write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def _script() -> ModuleType:
    loader = SourceFileLoader("version_bump_check", str(SCRIPT))
    spec = spec_from_loader(loader.name, loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


CHECK = _script()


def run(repo: Path) -> tuple[int, list[str]]:
    """The script's main in this process, in the repository's folder: (exit code, lines printed)."""
    out = io.StringIO()
    here = Path.cwd()
    os.chdir(repo)
    try:
        with redirect_stdout(out):
            code = CHECK.main([])
    finally:
        os.chdir(here)
    return code, out.getvalue().splitlines()


def test_the_script_runs_as_ci_runs_it(repo: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=repo, env=GIT_ENV, capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stderr) == (0, "") and done.stdout.endswith("skipped\n")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    (folder / "protocols").mkdir(parents=True)
    git(folder, "init", "-q", "-b", "main")
    commit(folder, TREE, "first")
    return folder


def test_a_single_commit_and_a_shallow_clone_have_nothing_to_compare(repo: Path, tmp_path: Path) -> None:
    assert run(repo) == (0, ["protocols/ptosis.yaml: no earlier version in this clone (first commit, shallow "
                             "clone or no git): skipped"])
    commit(repo, TREE.replace(LABEL, "Swallowing or breathing difficulty"), "unbumped")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)], env=GIT_ENV, check=True)
    code, lines = run(shallow)
    assert code == 0 and lines[0].endswith("skipped")


def test_a_clinical_change_without_a_bump_fails_committed_or_not(repo: Path) -> None:
    (repo / "protocols" / "ptosis.yaml").write_text(TREE.replace(LABEL, "Swallowing or breathing difficulty"))
    code, lines = run(repo)
    assert code == 1
    assert lines[0] == ("FAIL protocols/ptosis.yaml: against the last commit (uncommitted changes): clinical changes "
                        "without a version change (still 0.3.0): bump the version")
    assert "  red flag[e].label: Swallowing[-, speech-] or breathing difficulty, generalised weakness or double " \
        "vision" in lines
    commit(repo, TREE.replace(LABEL, "Swallowing or breathing difficulty"), "unbumped")
    code, lines = run(repo)
    assert code == 1 and lines[0].startswith("FAIL protocols/ptosis.yaml: against the version before its last change")


def test_a_bumped_change_passes_against_the_merge_base_with_origin_main(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/remotes/origin/main", first)
    changed = TREE.replace(LABEL, "Swallowing or breathing difficulty")
    commit(repo, changed.replace('version: "0.3.0"', 'version: "0.3.1"'), "bumped")
    assert run(repo) == (0, ["protocols/ptosis.yaml: 1 clinical change(s) since the merge base with origin/main, "
                             "version 0.3.0 -> 0.3.1: ok"])
    commit(repo, changed.replace('version: "0.3.0"', 'version: "0.3.1"').replace("double vision", "diplopia", 1),
           "a second change in the same release, against origin/main still bumped")
    assert run(repo)[0] == 0


def test_the_last_tag_or_release_commit_is_the_base_without_origin(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('version = "1.0.0"\n')
    commit(repo, TREE, "release 1.0.0")
    commit(repo, TREE.replace(LABEL, "Swallowing or breathing difficulty"), "unbumped after the release")
    code, lines = run(repo)
    assert code == 1 and "against the last release" in lines[0]
    git(repo, "tag", "v1", "HEAD~1")
    code, lines = run(repo)
    assert code == 1 and "against the last tag v1: clinical changes without a version change" in lines[0]
