"""The wheel carries the bundled trees (an editable install would hide their absence)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("vascular-occlusion", "ptosis", "nodules", "pre-treatment-check")


def test_the_wheel_ships_the_protocols_and_finds_them_with_importlib_resources(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("aesthetic_protocols-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for tree in TREES:
        assert f"aesthetic_protocols/protocols/{tree}.yaml" in names
        assert f"aesthetic_protocols/protocols/{tree}.scenarios.yaml" in names
    assert "aesthetic_protocols/protocols/protocol.schema.json" in names
    assert {f"aesthetic_protocols/report/templates/{name}.j2" for name in ("record.html", "card.md")} <= names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    # Import from the unpacked wheel, ahead of the editable install, and ask where the trees are.
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); from aesthetic_protocols import loader; "
             "print(loader.bundled_dir()); print(sorted(loader.discover([loader.bundled_dir()])))")
    shown = subprocess.run([sys.executable, "-c", probe, str(unpacked)], capture_output=True, text=True, check=True)
    folder, ids = shown.stdout.splitlines()
    assert Path(folder) == unpacked / "aesthetic_protocols" / "protocols"
    assert ids == str(sorted(TREES))
    # The card renders from the unpacked wheel's own templates.
    card = ("import sys; sys.path.insert(0, sys.argv[1]); from aesthetic_protocols import loader; "
            "from aesthetic_protocols.report import card, templating; "
            "p = loader.load_file(loader.bundled_dir() / 'ptosis.yaml'); "
            "print(card.card_markdown(p.protocol, p.source.sha256).splitlines()[0]); print(templating.__file__)")
    first, module = subprocess.run([sys.executable, "-c", card, str(unpacked)], capture_output=True, text=True,
                                   check=True).stdout.splitlines()
    assert first.endswith(": quick reference card") and Path(module).is_relative_to(unpacked)


def test_python_dash_m_runs_the_cli() -> None:
    shown = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "--version"], capture_output=True, text=True)
    assert (shown.returncode, shown.stdout) == (0, "aesthetic-protocols 0.1.0\n")


def test_pre_commit_hook_runs_validate() -> None:
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "protocol-validate" and hook["entry"].startswith("protocol validate")
