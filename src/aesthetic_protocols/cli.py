"""The `protocol` command: parses arguments, calls the core, chooses a renderer. Nothing clinical here."""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from aesthetic_protocols import SUBCOMMANDS, __version__
from aesthetic_protocols.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
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
        argv = _prepare(list(sys.argv[1:] if args is None else args), set(self.commands))

        def through_typer() -> int:
            result = super(ProtocolGroup, self).main(argv, prog_name or "protocol", complete_var,
                                                     standalone_mode=False, windows_expand_args=windows_expand_args,
                                                     **extra)
            return result if isinstance(result, int) else EXIT_OK

        code = _guarded(through_typer)
        if standalone_mode:
            sys.exit(code)
        return code


def _prepare(argv: list[str], commands: set[str] | frozenset[str]) -> list[str]:
    """Strip `--debug` (anywhere) and turn `protocol ID ...` into `protocol run ID ...`."""
    global _DEBUG
    _DEBUG = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        argv.insert(0, "run")
    return argv


def _guarded(action: Callable[[], int]) -> int:
    """Run a command; every expected problem becomes one line on stderr and its exit code."""
    try:
        return action()
    except KeyboardInterrupt:  # Ctrl-C before a walk began (a walk records its own interruption)
        typer.echo("protocol: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`protocol show ID | head`): stop quietly, as a pipe-killed tool does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ProtocolsError as exc:
        typer.echo(f"protocol: {exc.message}", err=True)
        return exc.exit_code
    except typer.TyperException as exc:
        # Never repeat stray arguments: `--patient Jane Smith` would put "Smith" on the screen and in logs.
        message = re.sub(r"(unexpected extra argument(?:s|\(s\))?) \(.*\)", r"\1 (quote a value that has spaces)",
                         exc.format_message(), flags=re.S)
        # A bare `protocol` or `protocol log` shows the help text (a usage error, exit 2).
        typer.echo(message if "\n" in message else f"protocol: {message}", err=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except Exception as exc:
        if _DEBUG:
            traceback.print_exc()
        typer.echo(f"protocol: internal error ({type(exc).__name__}); run again with --debug for details", err=True)
        return EXIT_INTERNAL


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


def _warn_shadow(found: Any) -> None:
    if found.shadows is not None:
        typer.echo(f"protocol: warning: '{found.id}' from {found.path} shadows {found.shadows}", err=True)


def _warn_shadows(dirs: list[Path]) -> None:
    from aesthetic_protocols.loader import discover

    for found in discover(dirs).values():
        _warn_shadow(found)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point. `protocol ID` with plain options starts the walk without building the
    typer command tree; everything else goes through typer."""
    args = _prepare(list(sys.argv[1:] if argv is None else argv), SUBCOMMANDS)
    fast = _fast_run_options(args[1:]) if args[:1] == ["run"] else None
    if fast is not None:
        options = fast

        def walk_now() -> int:
            _walk_new(**options)
            return EXIT_OK

        sys.exit(_guarded(walk_now))
    app(args=argv, prog_name="protocol")


def _show_version(value: bool) -> None:
    if value:
        version_command()
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.", callback=_show_version,
                                          is_eager=True)] = False,
) -> None:
    pass


@app.command("help")
def help_command(ctx: typer.Context) -> None:
    """Show this help (also --help)."""
    parent = ctx.parent
    typer.echo((parent or ctx).get_help())


@app.command("version")
def version_command() -> None:
    """Show the version (also --version)."""
    typer.echo(f"aesthetic-protocols {__version__}")


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
    from aesthetic_protocols.checks import load_valid
    from aesthetic_protocols.loader import discover
    from aesthetic_protocols.report import protocol_row, protocol_table

    dirs = _dirs(protocols)
    _warn_shadows(dirs)
    rows: list[dict[str, Any]] = []
    for found in sorted(discover(dirs).values(), key=lambda f: f.id):
        try:  # fully checked, as a walk would be: a tree that cannot be walked is listed as invalid
            rows.append(protocol_row(load_valid(found.path, date.today())[0].protocol) | {"path": str(found.path)})
        except ProtocolsError as exc:
            typer.echo(f"protocol: {exc.message}", err=True)
            rows.append({"id": found.id, "title": "", "version": "", "status": "invalid", "next_review": None,
                         "path": str(found.path)})
    if fmt is ListFormat.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        typer.echo(protocol_table(rows), nl=False)


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; none = the whole search path.")] = None,
    fmt: Annotated[ValidateFormat, typer.Option("--format")] = ValidateFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    protocols: ProtocolDirs = None,
) -> None:
    """Check protocol files: schema, YAML hazards and graph rules. Exit 0 clean, 1 problems, 2 usage."""
    from aesthetic_protocols import report
    from aesthetic_protocols.checks import validate_path
    from aesthetic_protocols.loader import validation_targets

    today = date.today()
    dirs = _dirs(protocols)
    if not paths:
        _warn_shadows(dirs)
    targets = validation_targets(paths or [], dirs)
    problems: list[Problem] = []
    for target in targets:  # every file is checked before the exit code is decided
        problems += validate_path(target, today, str(target))
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    if fmt is ValidateFormat.json:
        typer.echo(report.problems_json(problems, len(targets)), nl=False)
    elif fmt is ValidateFormat.github:
        typer.echo(report.problems_github(problems), nl=False)
    else:
        typer.echo(report.problems_text(problems), nl=False)
        typer.echo(f"{len(targets)} file(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
    failed = errors > 0 or (strict and warnings > 0)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


def _load(protocol_id: str, protocols: list[Path] | None) -> Any:
    """The validated protocol behind an id (usage error if unknown; exit 1 if invalid)."""
    from aesthetic_protocols.checks import load_valid
    from aesthetic_protocols.loader import resolve_id

    dirs = _dirs(protocols)
    found = resolve_id(protocol_id, dirs)
    _warn_shadow(found)
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


class CardFormat(StrEnum):
    html = "html"
    md = "md"


@app.command()
def card(
    protocol_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[CardFormat, typer.Option("--format")] = CardFormat.html,
    protocols: ProtocolDirs = None,
) -> None:
    """A one-page quick-reference card of the tree for the emergency kit (HTML prints on one A4 page)."""
    from aesthetic_protocols.report.card import card_html, card_markdown

    loaded = _load(protocol_id, protocols)
    render = card_html if fmt is CardFormat.html else card_markdown
    typer.echo(render(loaded.protocol, loaded.source.sha256), nl=False)


@app.command()
def schema() -> None:
    """JSON Schema of a protocol file (for editors' yaml-language-server and other checkers)."""
    from aesthetic_protocols.model import protocol_schema

    typer.echo(json.dumps(protocol_schema(), indent=2, ensure_ascii=False))


@app.command()
def scenarios(
    ids: Annotated[list[str] | None, typer.Argument(metavar="[ID]...", help="Protocols to test; none = all.")] = None,
    protocols: ProtocolDirs = None,
) -> None:
    """Run the scenario tests kept beside the protocols. Exit 0 all pass, 1 a failure."""
    from aesthetic_protocols.scenarios import run_suites

    result = run_suites(ids or [], _dirs(protocols), date.today())
    typer.echo("".join(f"{line}\n" for line in result.lines), nl=False)
    raise typer.Exit(EXIT_PROBLEMS if result.failed else EXIT_OK)


# --- the chairside walk -----------------------------------------------------------------------------

# Text, not Path: typer would turn an empty `--log-dir=` into Path("") == ".", hiding the mistake.
LogDir = Annotated[str | None, typer.Option("--log-dir", help="Session log folder (env AESTHETIC_PROTOCOLS_LOG_DIR).")]
Plain = Annotated[bool, typer.Option("--plain", help="Plain mode: no colour, one line per prompt.")]


def _log_dir(option: str | None) -> Path:
    from aesthetic_protocols.journal import resolve_log_dir

    return resolve_log_dir(option)


def _ended(outcome: Any) -> None:
    from aesthetic_protocols.errors import Interrupted

    if not outcome.result.finished:
        raise Interrupted(f"session interrupted ({outcome.result.reason}); the log is kept: "
                          f"resume with 'protocol resume {outcome.resume_ref}'")


@app.command()
def run(
    protocol_id: Annotated[str, typer.Argument(metavar="ID")],
    log_dir: LogDir = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Pseudonymous reference, never a name.")] = None,
    practitioner: Annotated[str | None, typer.Option("--practitioner")] = None,
    plain: Plain = False,
    protocols: ProtocolDirs = None,
) -> None:
    """Walk protocol ID at the chair (also `protocol ID`). Exit 0 outcome, 3 interrupted (resumable)."""
    _walk_new(protocol_id, log_dir, patient, practitioner, plain, protocols)


def _walk_new(protocol_id: str, log_dir: str | None = None, patient: str | None = None,
              practitioner: str | None = None, plain: bool = False, protocols: list[Path] | None = None) -> None:
    from aesthetic_protocols.chairside import start_walk

    loaded = _load(protocol_id, protocols)
    _ended(start_walk(loaded, _log_dir(log_dir), patient, practitioner, plain))


_RUN_VALUES = {"--log-dir": "log_dir", "--patient": "patient", "--practitioner": "practitioner",
               "--protocols": "protocols"}


def _fast_run_options(args: list[str]) -> dict[str, Any] | None:
    """`run`'s arguments read without building typer's parameter machinery (about 100 ms at every start,
    which a practitioner waits through during an emergency). Only the plain, well-formed spellings are
    read here; anything else returns None and goes through typer, which also gives its usage errors."""
    if not args or args[0].startswith("-"):
        return None
    options: dict[str, Any] = {"protocol_id": args[0]}
    rest = args[1:]
    while rest:
        word = rest.pop(0)
        name, has_value, value = word.partition("=")
        if word == "--plain":
            options["plain"] = True
            continue
        field = _RUN_VALUES.get(name)
        if field is None or (not has_value and not rest):
            return None
        if not has_value:
            value = rest.pop(0)
        if field in options and field != "protocols":
            return None  # repeated single option: let typer decide
        if field == "protocols":
            options.setdefault("protocols", []).append(Path(value))
        else:
            options[field] = value
    return options


@app.command()
def resume(
    session: Annotated[str, typer.Argument(metavar="SESSION", help="Session id or log path.")],
    log_dir: LogDir = None,
    force: Annotated[bool, typer.Option("--force", help="Continue although the protocol changed (recorded).")] = False,
    plain: Plain = False,
    protocols: ProtocolDirs = None,
) -> None:
    """Continue an interrupted session from its log, appending to the same log."""
    from aesthetic_protocols.chairside import resume_walk

    _ended(resume_walk(session, _log_dir(log_dir), _dirs(protocols), force, plain, date.today()))


# --- session logs -----------------------------------------------------------------------------------


def _events(session: str, log_dir: str | None) -> tuple[list[dict[str, Any]], Any]:
    from aesthetic_protocols.chairside import find_log
    from aesthetic_protocols.errors import LogError
    from aesthetic_protocols.journal import read_events

    path = find_log(session, _log_dir(log_dir))
    if not path.is_file():
        raise UsageError(f"no session log at {path}")
    events, verification = read_events(path)
    if not events:
        raise LogError(f"{path}: no readable events ({verification.reason})")
    return events, verification


@log_app.command("list")
def log_list(log_dir: LogDir = None) -> None:
    """Session logs, newest first: started, protocol, version, outcome or interrupted, patient reference."""
    from aesthetic_protocols.journal import read_events
    from aesthetic_protocols.report import session_list, session_summary

    folder = _log_dir(log_dir)
    rows = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        events, verification = read_events(path)
        if events:
            row = session_summary(events)
            if not verification.ok:
                row["state"] += " [ALTERED]"
            rows.append(row)
    typer.echo(session_list(rows), nl=False)
    if not rows:
        typer.echo(f"no session logs in {folder}", err=True)


@log_app.command("show")
def log_show(session: Annotated[str, typer.Argument(metavar="SESSION")], log_dir: LogDir = None) -> None:
    """The timeline of a session: clock time, elapsed, step, answer, notes."""
    from aesthetic_protocols.report import timeline_text

    events, verification = _events(session, log_dir)
    typer.echo(timeline_text(events), nl=False)
    if not verification.ok:
        typer.echo(f"protocol: warning: log is not intact: {verification.reason}", err=True)


@log_app.command("verify")
def log_verify(session: Annotated[str, typer.Argument(metavar="SESSION")], log_dir: LogDir = None) -> None:
    """Check the hash chain and the close anchor. Exit 0 intact, 1 altered or torn (names the first bad line)."""
    from aesthetic_protocols.chairside import find_log
    from aesthetic_protocols.journal import verify

    path = find_log(session, _log_dir(log_dir))
    if not path.is_file():
        raise UsageError(f"no session log at {path}")
    result = verify(path)
    if result.ok:
        typer.echo(f"{path}: intact, {result.count} events")
        return
    typer.echo(f"{path}:{result.first_bad_line}: altered: {result.reason}")
    raise typer.Exit(EXIT_PROBLEMS)


class ExportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"
    fhir = "fhir"


def _record_renderer(fmt: ExportFormat, events: list[dict[str, Any]], verification: Any,
                     protocols: list[Path] | None) -> Any:
    """The md, html or fhir renderer, `render(events, anonymise) -> str`, given the protocol the log ran under
    (found again on the search path)."""
    from functools import partial

    from aesthetic_protocols import report
    from aesthetic_protocols.logged_protocol import find_logged_protocol
    from aesthetic_protocols.report.fhir import record_fhir

    logged = find_logged_protocol(events, _dirs(protocols), date.today())
    if not logged.same:
        typer.echo(f"protocol: warning: {logged.check}", err=True)
    if fmt is ExportFormat.fhir:
        return partial(record_fhir, logged=logged)
    integrity = (f"intact ({verification.count} events)" if verification.ok
                 else f"NOT INTACT: {verification.reason}")
    record = report.record_markdown if fmt is ExportFormat.md else report.record_html
    return partial(record, logged=logged, integrity=integrity)


@log_app.command("export")
def log_export(
    session: Annotated[str, typer.Argument(metavar="SESSION")],
    fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.md,
    anonymise: Annotated[bool, typer.Option("--anonymise", "--anonymize",
                                            help="Drop ids, names, clock times and note text.")] = False,
    log_dir: LogDir = None,
    protocols: ProtocolDirs = None,
) -> None:
    """The session as a Markdown, HTML or JSON record, or a FHIR R4 Bundle (JSON)."""
    from aesthetic_protocols import report

    events, verification = _events(session, log_dir)
    if not verification.ok:
        typer.echo(f"protocol: warning: log is not intact: {verification.reason}", err=True)
    render = report.record_json if fmt is ExportFormat.json else _record_renderer(fmt, events, verification, protocols)
    typer.echo(render(events, anonymise), nl=fmt is ExportFormat.json)
