"""The walk's plain classes (`tree`, `facts`, `clinic_data`) and the validating models (`model`, `conditions`,
`clinic_file`) that subclass them: one list of fields, and a warm walk that never imports pydantic."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel

from aesthetic_protocols import clinic_data, clinic_file, conditions, facts, model, tree
from aesthetic_protocols.clinic import example
from aesthetic_protocols.rebuild import dump

ROOT = Path(__file__).resolve().parents[1]
PLAIN = (tree, facts, clinic_data)
VALIDATING = (model, conditions, clinic_file)
PAIRS = sorted({(plain, validating) for module in VALIDATING for validating in vars(module).values()
                if isinstance(validating, type) and issubclass(validating, BaseModel)
                for plain in validating.__bases__ if plain.__module__ in {m.__name__ for m in PLAIN}},
               key=lambda pair: pair[1].__qualname__)


def _default(item: dataclasses.Field[object]) -> object:
    return item.default_factory() if item.default_factory is not dataclasses.MISSING else item.default


def test_every_model_a_walk_reads_has_its_plain_twin() -> None:
    walked = {"Protocol", "QuestionNode", "ActionNode", "InputNode", "WaitNode", "RecordNode", "DecideNode",
              "OutcomeNode", "RecordField", "Rule", "Condition", "DaysAgo", "DaysAhead", "Fact", "Clinic", "KitItem"}
    assert walked <= {validating.__name__ for _, validating in PAIRS}


@pytest.mark.parametrize(("plain", "validating"), PAIRS, ids=lambda c: c.__name__)
def test_the_plain_and_the_validating_fields_agree(plain: type, validating: type[BaseModel]) -> None:
    plain_fields = dataclasses.fields(plain)
    assert [item.name for item in plain_fields] == list(validating.model_fields)  # same names, same order
    # Every validating field is declared on a validating class: one only inherited from the plain class would be
    # validated by its plain type, without its constraints.
    declared = {name for cls in validating.__mro__ if issubclass(cls, BaseModel)
                for name in inspect.get_annotations(cls)}
    assert set(validating.model_fields) <= declared
    for item in plain_fields:
        info = validating.model_fields[item.name]
        required = item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        assert info.is_required() is required, item.name
        if not required:
            assert dump(info.get_default(call_default_factory=True)) == dump(_default(item)), item.name


def test_only_the_validation_imports_the_validating_models() -> None:
    """A reader of a protocol imports the plain classes: a cached protocol is plain, and `isinstance` against a
    validating class would be False for it."""
    twins = {validating.__name__ for _, validating in PAIRS}
    allowed = {"model.py", "conditions.py", "clinic_file.py", "loader.py"}
    wrong = []
    for path in sorted((ROOT / "src" / "aesthetic_protocols").rglob("*.py")):
        if path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in ("aesthetic_protocols.model",
                                                                     "aesthetic_protocols.conditions",
                                                                     "aesthetic_protocols.clinic_file"):
                wrong += [f"{path.name}: {alias.name}" for alias in node.names if alias.name in twins]
    assert wrong == []


def test_a_warm_walk_imports_neither_pydantic_nor_the_yaml_parser(tmp_path: Path) -> None:
    (tmp_path / "clinic.yaml").write_text(example(date.today()))
    env = os.environ | {"AESTHETIC_PROTOCOLS_CACHE_DIR": str(tmp_path / "cache"),
                        "AESTHETIC_PROTOCOLS_CLINIC": str(tmp_path / "clinic.yaml")}
    code = ("import atexit, sys; atexit.register(lambda: print('LOADED', *sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('pydantic', 'pydantic_core', 'yaml')), file=sys.stderr)); "
            "sys.argv = ['protocol', 'vascular-occlusion', '--plain', '--log-dir', sys.argv[1]]; "
            "from aesthetic_protocols.launch import main; main()")
    runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path / "logs")], input="quit\n", capture_output=True,
                           text=True, env=env, cwd=ROOT, check=False) for _ in range(2)]
    assert [run.returncode for run in runs] == [3, 3]
    assert "LOADED pydantic" in runs[0].stderr  # the first start validates the tree and the clinic file
    assert [line for line in runs[1].stderr.splitlines() if line.startswith("LOADED")] == ["LOADED"]
