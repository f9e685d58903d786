"""The `protocol` command: parses arguments, calls the core, chooses a renderer. Nothing clinical here."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from aesthetic_protocols import __version__
from aesthetic_protocols.errors import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_PROBLEMS,
    Problem,
    ProtocolsError,
    Severity,
    UsageError,
)

_DEBUG = False


class ProtocolGroup(TyperGroup):
    """`protocol ID` means `protocol run ID`; every error is one line on stderr with its exit code."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        global _DEBUG
        argv = list(sys.argv[1:] if args is None else args)
        _DEBUG = "--debug" in argv
        argv = [a for a in argv if a != "--debug"]
        if argv and not argv[0].startswith("-") and argv[0] not in self.commands:
            argv.insert(0, "run")
        try:
            result = super().main(argv, prog_name or "protocol", complete_var, standalone_mode=False,
                                 windows_expand_args=windows_expand_args, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except ProtocolsError as exc:
            typer.echo(f"protocol: {exc.message}", err=True)
            code = exc.exit_code
        except typer.TyperException as exc:
            message = exc.format_message()
            # A bare `protocol` or `protocol log` shows the help text (a usage error, exit 2).
            typer.echo(message if "\n" in message else f"protocol: {message}", err=True)
            code = exc.exit_code
        except typer.Exit as exc:
            code = exc.exit_code
        except typer.Abort:
            code = 130
        except Exception as exc:
            if _DEBUG:
                traceback.print_exc()
            typer.echo(f"protocol: internal error ({type(exc).__name__}); run again with --debug for details",
                       err=True)
            code = EXIT_INTERNAL
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(cls=ProtocolGroup, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False,
                  help="Walk an injectable-complication protocol at the chair; validate and review the trees.")
log_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Session logs: list, show, verify, export.")
app.add_typer(log_app, name="log")

ProtocolDirs = Annotated[
    list[Path] | None,
    typer.Option("--protocols", help="Extra folder of protocol files (repeatable; after the search path)."),
]


def _dirs(extra: list[Path] | None) -> list[Path]:
    from aesthetic_protocols.loader import search_path

    return search_path(extra or [])


def _warn_shadows(dirs: list[Path]) -> None:
    from aesthetic_protocols.loader import discover

    for found in discover(dirs).values():
        if found.shadows is not None:
            typer.echo(f"protocol: warning: '{found.id}' from {found.path} shadows {found.shadows}", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=argv, prog_name="protocol")


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"aesthetic-protocols {__version__}")
        raise typer.Exit(EXIT_OK)


# --- trainer and CI commands ----------------------------------------------------------------------


class ListFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("list")
def list_protocols(
    fmt: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    protocols: ProtocolDirs = None,
) -> None:
    """Every protocol on the search path: id, title, version, status, next review."""
    from aesthetic_protocols.loader import discover, load_file
    from aesthetic_protocols.report import protocol_row

    dirs = _dirs(protocols)
    _warn_shadows(dirs)
    rows: list[dict[str, Any]] = []
    for found in sorted(discover(dirs).values(), key=lambda f: f.id):
        try:
            rows.append(protocol_row(load_file(found.path).protocol) | {"path": str(found.path)})
        except ProtocolsError as exc:
            typer.echo(f"protocol: {exc.message}", err=True)
            rows.append({"id": found.id, "title": "", "version": "", "status": "invalid", "next_review": None,
                         "path": str(found.path)})
    if fmt is ListFormat.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    header = ("ID", "VERSION", "STATUS", "NEXT REVIEW", "TITLE")
    table = [header] + [(r["id"], r["version"], r["status"], r["next_review"] or "-", r["title"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def _github_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def _validation_targets(paths: list[Path] | None, protocols: list[Path] | None) -> list[Path]:
    from aesthetic_protocols.loader import PROTOCOL_SUFFIX, SCENARIO_SUFFIX, discover

    if not paths:
        dirs = _dirs(protocols)
        _warn_shadows(dirs)
        return [found.path for found in sorted(discover(dirs).values(), key=lambda f: str(f.path))]
    targets: list[Path] = []
    for path in paths:
        if path.is_dir():
            targets += sorted(p for p in path.rglob(f"*{PROTOCOL_SUFFIX}")
                              if p.is_file() and not p.name.endswith(SCENARIO_SUFFIX))
        elif path.is_file():
            targets.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return targets


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; none = the whole search path.")] = None,
    fmt: Annotated[ValidateFormat, typer.Option("--format")] = ValidateFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    protocols: ProtocolDirs = None,
) -> None:
    """Check protocol files: schema, YAML hazards and graph rules. Exit 0 clean, 1 problems, 2 usage."""
    from aesthetic_protocols.checks import validate_path

    today = date.today()
    targets = _validation_targets(paths, protocols)
    problems: list[Problem] = []
    for target in targets:
        problems += validate_path(target, today, str(target))
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    if fmt is ValidateFormat.json:
        typer.echo(json.dumps({"files": len(targets), "errors": errors, "warnings": warnings,
                               "problems": [_problem_dict(p) for p in problems]}, indent=2, ensure_ascii=False))
    elif fmt is ValidateFormat.github:
        for p in problems:
            level = "error" if p.severity is Severity.ERROR else "warning"
            typer.echo(f"::{level} file={_github_escape(p.path, True)},line={p.line},col={p.column},"
                       f"title={_github_escape(p.rule, True)}::{_github_escape(p.message)}")
    else:
        for p in problems:
            typer.echo(str(p))
        typer.echo(f"{len(targets)} file(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
    failed = errors > 0 or (strict and warnings > 0)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {"path": problem.path, "line": problem.line, "column": problem.column,
            "severity": str(problem.severity), "rule": problem.rule, "message": problem.message}


def _load(protocol_id: str, protocols: list[Path] | None) -> Any:
    """The validated protocol behind an id (usage error if unknown; exit 1 if invalid)."""
    from aesthetic_protocols.checks import load_valid
    from aesthetic_protocols.loader import resolve_id

    dirs = _dirs(protocols)
    found = resolve_id(protocol_id, dirs)
    if found.shadows is not None:
        typer.echo(f"protocol: warning: '{found.id}' from {found.path} shadows {found.shadows}", err=True)
    loaded, warnings = load_valid(found.path, date.today())
    for warning in warnings:
        typer.echo(f"protocol: {warning}", err=True)
    return loaded


class ShowFormat(StrEnum):
    outline = "outline"
    json = "json"
    markdown = "markdown"


@app.command()
def show(
    protocol_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.outline,
    protocols: ProtocolDirs = None,
) -> None:
    """Print a protocol as an outline, its validated JSON, or a Markdown review document."""
    from aesthetic_protocols import report

    protocol = _load(protocol_id, protocols).protocol
    renderers = {ShowFormat.outline: report.outline, ShowFormat.json: report.protocol_json,
                 ShowFormat.markdown: report.markdown}
    typer.echo(renderers[fmt](protocol), nl=fmt is ShowFormat.json)


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    protocol_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[GraphFormat, typer.Option("--format")] = GraphFormat.mermaid,
    protocols: ProtocolDirs = None,
) -> None:
    """Flowchart source (Mermaid or Graphviz DOT) on stdout."""
    from aesthetic_protocols import report

    protocol = _load(protocol_id, protocols).protocol
    typer.echo(report.mermaid(protocol) if fmt is GraphFormat.mermaid else report.dot(protocol), nl=False)


@app.command()
def schema() -> None:
    """JSON Schema of a protocol file (for editors' yaml-language-server and other checkers)."""
    from aesthetic_protocols.model import protocol_schema

    typer.echo(json.dumps(protocol_schema(), indent=2, ensure_ascii=False))


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None
