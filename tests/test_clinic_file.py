"""The clinic file's models and reading: reached through `clinic` too, and loaded only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aesthetic_protocols import clinic, clinic_file


def test_the_models_and_load_are_the_same_through_clinic() -> None:
    for name in ("Clinic", "ClinicInfo", "Contact", "KitItem", "Practitioner", "LoadedClinic", "load",
                 "clinic_schema", "CLINIC_SCHEMA_ID", "PHONE_PATTERN", "Phone"):
        assert getattr(clinic, name) is getattr(clinic_file, name)


def test_clinic_has_no_other_lazy_name() -> None:
    assert not hasattr(clinic, "no_such_name")


def test_looking_for_a_clinic_file_builds_no_model(tmp_path: Path) -> None:
    probe = ("import sys; from aesthetic_protocols import clinic; "
             "print(clinic.find(None, {}), 'aesthetic_protocols.clinic_file' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True,
                          env={"XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.stdout.split() == ["None", "False"]
