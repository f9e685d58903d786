"""The `protocol` command: parses arguments, calls the core, chooses a renderer. Nothing clinical here."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from aesthetic_protocols import __version__
from aesthetic_protocols.completion import complete_protocol_id, complete_session
from aesthetic_protocols.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Problem,
    ProtocolsError,
    Severity,
    UsageError,
)
from aesthetic_protocols.launch import (
    ReaderGone,
    guarded,
    load_protocol,
    prepare,
    search_dirs,
    walk_new,
    walk_resume,
)

if TYPE_CHECKING:
    from aesthetic_protocols.events import Logged


def _for_window(text: str) -> str:
    """Text wrapped at word boundaries to the window's width (a pipe gets it as it is)."""
    from aesthetic_protocols.report.wrapping import window_width, wrap_text

    return wrap_text(text, window_width(sys.stdout))


class ProtocolGroup(TyperGroup):
    """`protocol ID` means `protocol run ID`; every error is one line on stderr with its exit code."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        argv = prepare(list(sys.argv[1:] if args is None else args), set(self.commands))

        def through_typer() -> int:
            result = super(ProtocolGroup, self).main(argv, prog_name or "protocol", complete_var,
                                                     standalone_mode=False, windows_expand_args=windows_expand_args,
                                                     **extra)
            return result if isinstance(result, int) else EXIT_OK

        code = guarded(through_typer, _typer_exit_code)
        if standalone_mode:
            sys.exit(code)
        return code

    # Completion: the first word may be a protocol id as well as a command (`protocol va<TAB>` offers both
    # `validate` and `vascular-occlusion`), and after an id the words are `run`'s.
    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        offered = super().shell_complete(ctx, incomplete)
        if incomplete.startswith("-"):
            return offered
        from typer._click.shell_completion import CompletionItem

        # The main job first: when a protocol id fits what is typed, TAB completes it (`protocol va<TAB>` is
        # vascular-occlusion, not validate); a subcommand is offered when no id fits (`protocol val<TAB>`), and
        # both when nothing is typed yet.
        ids = [CompletionItem(word) for word in complete_protocol_id(ctx, incomplete)]
        return ids if ids and incomplete else offered + ids

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if ctx.resilient_parsing and args and not args[0].startswith("-") and args[0] not in self.commands:
            return "run", self.commands["run"], args  # completing after `protocol ID`
        return super().resolve_command(ctx, args)

    # typer turns a broken pipe met inside its own try into exit 1 ("problems found"); raised under another
    # name it reaches `guarded`, which gives the contract's 141.
    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with _reader_gone_passed_on():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _reader_gone_passed_on():
            return super().invoke(ctx)


@contextlib.contextmanager
def _reader_gone_passed_on() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError as exc:
        raise ReaderGone from exc
    except SystemExit as exc:
        if isinstance(exc.__context__, BrokenPipeError):  # rich's console exits 1 when its pipe breaks
            raise ReaderGone from exc
        raise


def _typer_exit_code(exc: Exception) -> int | None:
    """typer's own exceptions as exit codes (None: not typer's)."""
    if isinstance(exc, typer.TyperException):
        # Never repeat stray arguments: `--patient Jane Smith` would put "Smith" on the screen and in logs.
        message = re.sub(r"(unexpected extra argument(?:s|\(s\))?) \(.*\)", r"\1 (quote a value that has spaces)",
                         exc.format_message(), flags=re.S)
        # A bare `protocol` or `protocol log` shows the help text (a usage error, exit 2).
        typer.echo(message if "\n" in message else f"protocol: {message}", err=True)
        return exc.exit_code
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, typer.Abort):
        return 130
    return None


app = typer.Typer(cls=ProtocolGroup, add_completion=True, no_args_is_help=True,
                  pretty_exceptions_enable=False,
                  help="Walk an injectable-complication protocol at the chair; validate and review the trees.")
log_app = typer.Typer(cls=TyperGroup, no_args_is_help=True, help="Session logs: list, show, verify, export, replay.")
app.add_typer(log_app, name="log")
clinic_app = typer.Typer(cls=TyperGroup, no_args_is_help=True,
                         help="The clinic's own file (contacts, emergency kit): check it, or write an example.")
app.add_typer(clinic_app, name="clinic")

ProtocolDirs = Annotated[
    list[Path] | None,
    typer.Option("--protocols", help="Extra folder of protocol files (repeatable; after the search path)."),
]


ClinicFile = Annotated[
    str | None,
    typer.Option("--clinic", metavar="PATH", help="The clinic file (contacts, kit); default: "
                 "$AESTHETIC_PROTOCOLS_CLINIC, else clinic.yaml in the user config folder."),
]


Photos = Annotated[
    str | None,
    typer.Option("--photos", metavar="DIR", help="The folder your phone or camera syncs to: Enter at a photograph "
                 "field takes its newest image since the step began."),
]


def _dirs(extra: list[Path] | None) -> list[Path]:
    return search_dirs(extra)


def _warn_shadow(found: Any) -> None:
    if found.shadows is not None:
        typer.echo(f"protocol: warning: '{found.id}' from {found.path} shadows {found.shadows}", err=True)


def _warn_shadows(dirs: list[Path]) -> None:
    from aesthetic_protocols.search import discover

    for found in discover(dirs).values():
        _warn_shadow(found)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (see `launch.main`: `protocol ID` starts before typer is imported)."""
    from aesthetic_protocols.launch import main as launch

    launch(argv)


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
    from aesthetic_protocols.cache import load_valid
    from aesthetic_protocols.report import protocol_row, protocol_table
    from aesthetic_protocols.search import discover

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
        typer.echo(_for_window(protocol_table(rows)), nl=False)


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; none = the whole search path.")] = None,
    fmt: Annotated[ValidateFormat, typer.Option("--format")] = ValidateFormat.text,
    strict: Annotated[bool, typer.Option("--strict", metavar="", help="Warnings fail too (a flag: no value).")] = False,
    protocols: ProtocolDirs = None,
) -> None:
    """Check protocol files: schema, YAML hazards and graph rules. Exit 0 clean, 1 problems, 2 usage."""
    from aesthetic_protocols import report
    from aesthetic_protocols.checks import validate_path
    from aesthetic_protocols.search import validation_targets

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
    """The validated protocol behind an id (usage error naming the closest ids if unknown; exit 1 if invalid)."""
    return load_protocol(protocol_id, protocols)


class ShowFormat(StrEnum):
    outline = "outline"
    json = "json"
    markdown = "markdown"


@app.command()
def show(
    protocol_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_protocol_id)],
    fmt: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.outline,
    protocols: ProtocolDirs = None,
    clinic: ClinicFile = None,
) -> None:
    """Print a protocol as an outline, its validated JSON, or a Markdown review document."""
    from aesthetic_protocols import report

    loaded = _load(protocol_id, protocols)
    protocol = loaded.protocol
    if fmt is ShowFormat.markdown:  # the sign-off names the file's sha256: a signature is tied to exact content
        typer.echo(report.markdown(_with_clinic(protocol, clinic), loaded.source.sha256), nl=False)
        return
    renderers = {ShowFormat.outline: report.outline, ShowFormat.json: report.protocol_json}
    typer.echo(renderers[fmt](protocol), nl=fmt is ShowFormat.json)


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    protocol_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_protocol_id)],
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
    protocol_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_protocol_id)],
    fmt: Annotated[CardFormat, typer.Option("--format")] = CardFormat.html,
    protocols: ProtocolDirs = None,
    clinic: ClinicFile = None,
) -> None:
    """A two-sided quick-reference card for the emergency kit: the wall side (red flags with their emergency
    steps, the main path's headlines), the details overleaf (HTML: two A4 pages)."""
    from aesthetic_protocols.report.card import card_html, card_markdown

    loaded = _load(protocol_id, protocols)
    render = card_html if fmt is CardFormat.html else card_markdown
    typer.echo(render(_with_clinic(loaded.protocol, clinic), loaded.source.sha256), nl=False)


def _with_clinic(protocol: Any, option: str | None) -> Any:
    from aesthetic_protocols.clinic import with_found_clinic

    return with_found_clinic(protocol, Path(option) if option is not None else None)


@app.command()
def schema(
    scenarios: Annotated[bool, typer.Option("--scenarios", metavar="",
                                            help="The schema of a scenario file (*.scenarios.yaml) instead.")] = False,
    clinic: Annotated[bool, typer.Option("--clinic", metavar="",
                                         help="The schema of a clinic file (clinic.yaml) instead.")] = False,
) -> None:
    """JSON Schema of a protocol file (for editors' yaml-language-server and other checkers)."""
    from aesthetic_protocols.model import protocol_schema

    if clinic:
        from aesthetic_protocols.clinic import clinic_schema

        typer.echo(json.dumps(clinic_schema(), indent=2, ensure_ascii=False))
        return
    if scenarios:
        from aesthetic_protocols.model import scenario_schema

        typer.echo(_schema_text(scenario_schema()))
        return
    typer.echo(_schema_text(protocol_schema()))


def _schema_text(schema: dict[str, object]) -> str:
    """The schema as JSON, every invisible character in it (the tag range of the text patterns) as its
    \\u escape: the same JSON, readable in an editor."""
    from aesthetic_protocols.model import STEERING_RE

    text = json.dumps(schema, indent=2, ensure_ascii=False)
    return STEERING_RE.sub(lambda found: json.dumps(found.group())[1:-1], text)


@clinic_app.command("check")
def clinic_check(
    path: Annotated[Path | None, typer.Argument(help="The clinic file; none = $AESTHETIC_PROTOCOLS_CLINIC or the "
                                                     "user config folder's clinic.yaml.")] = None,
    fmt: Annotated[ValidateFormat, typer.Option("--format")] = ValidateFormat.text,
) -> None:
    """Check the clinic file and its emergency kit against today. Exit 0 fit, 1 an emergency item missing or
    expired (or the file invalid), 2 usage."""
    from aesthetic_protocols import clinic, report
    from aesthetic_protocols.errors import InvalidProtocol

    found = clinic.find(path)
    if found is None:
        raise UsageError(f"no clinic file: give a PATH, set {clinic.CLINIC_ENV}, or run `protocol clinic init`")
    try:
        problems = clinic.check(clinic.load(found), date.today())
    except InvalidProtocol as exc:
        problems = exc.problems
    errors = sum(p.severity is Severity.ERROR for p in problems)
    if fmt is ValidateFormat.json:
        typer.echo(report.problems_json(problems, 1), nl=False)
    elif fmt is ValidateFormat.github:
        typer.echo(report.problems_github(problems), nl=False)
    else:
        typer.echo(report.problems_text(problems), nl=False)
        typer.echo(f"{found}: {errors} error(s), {len(problems) - errors} warning(s)", err=True)
    raise typer.Exit(EXIT_PROBLEMS if errors else EXIT_OK)


@clinic_app.command("init")
def clinic_init(
    path: Annotated[Path | None, typer.Argument(help="Where to write it; none = the user config folder's "
                                                     "clinic.yaml.")] = None,
) -> None:
    """Write a commented example clinic file (never overwrites one)."""
    from aesthetic_protocols import clinic

    target = path if path is not None else clinic.default_path()
    clinic.init(target, date.today())
    typer.echo(f"wrote {target}; edit it, then run: protocol clinic check {target}")


@app.command()
def scenarios(
    ids: Annotated[list[str] | None, typer.Argument(
        metavar="[ID]...", autocompletion=complete_protocol_id, help="Protocols to test; none = all.")] = None,
    protocols: ProtocolDirs = None,
    update: Annotated[bool, typer.Option("--update", help="Rewrite the transcripts (<id>.transcripts.yaml) "
                                                          "from the walks instead of checking them.")] = False,
) -> None:
    """Run the scenario tests kept beside the protocols and check each walk against its transcript.
    Exit 0 all pass, 1 a failure."""
    from aesthetic_protocols.scenarios import run_suites

    result = run_suites(ids or [], _dirs(protocols), date.today(), update)
    typer.echo("".join(f"{line}\n" for line in result.lines), nl=False)
    raise typer.Exit(EXIT_PROBLEMS if result.failed else EXIT_OK)


@app.command("drill")
def drill_command(
    protocol_id: Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_protocol_id)],
    scenario: Annotated[str | None, typer.Option("--scenario", metavar="NAME",
                                                 help="Debrief against this scenario of the protocol.")] = None,
    speed: Annotated[float, typer.Option("--speed", metavar="N",
                                         help="Simulated time runs N times real time (a wait also passes at "
                                              "once when continued).")] = 1.0,
    plain: Annotated[bool, typer.Option("--plain", help="Plain mode: one line per prompt (scriptable).")] = False,
    log_dir: Annotated[str | None, typer.Option("--log-dir", help="Session log folder; drills go in its "
                                                                   "drills/ folder.")] = None,
    protocols: ProtocolDirs = None,
) -> None:
    """A training walk on a simulated clock, logged apart, with a debrief against a scenario.
    Exit 0 debrief met (or no scenario), 1 missed, 3 interrupted."""
    from aesthetic_protocols.drill import SimulatedClock, run_drill, scenario_named
    from aesthetic_protocols.errors import Interrupted
    from aesthetic_protocols.faces.drill import drill_face
    from aesthetic_protocols.report.drill import debrief_text
    from aesthetic_protocols.scenarios import scenario_path

    loaded = _load(protocol_id, protocols)
    chosen = scenario_named(scenario_path(Path(loaded.source.path)), scenario) if scenario else None
    clock = SimulatedClock(speed)
    folder = _log_dir(log_dir)
    end = run_drill(loaded, folder, face=drill_face(plain, clock, scenario), clock=clock, scenario=chosen)
    if not end.outcome.result.finished:
        raise Interrupted(f"drill interrupted ({end.outcome.result.reason}); its log is kept: {end.outcome.log}")
    if end.debrief is not None:
        typer.echo("\n" + debrief_text(end.debrief), nl=False)
        raise typer.Exit(EXIT_OK if end.debrief.met else EXIT_PROBLEMS)


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(
        metavar="OLD", autocompletion=complete_protocol_id, help="The earlier version: a protocol id or a file path.")],
    new: Annotated[str, typer.Argument(
        metavar="NEW", autocompletion=complete_protocol_id, help="The later version: a protocol id or a file path.")],
    fmt: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.text,
    protocols: ProtocolDirs = None,
) -> None:
    """What changed in the guidance between two versions, node by node. Exit 0 same, 1 differs, 2 usage.

    For a git revision: `git show REV:protocols/ID.yaml > old.yaml`, then `protocol diff old.yaml ID`."""
    from aesthetic_protocols.diff import diff_protocols
    from aesthetic_protocols.report.diff import diff_json, diff_markdown, diff_text

    dirs, today = _dirs(protocols), date.today()
    result = diff_protocols(_version(old, dirs, today).protocol, _version(new, dirs, today).protocol)
    render = {DiffFormat.text: diff_text, DiffFormat.markdown: diff_markdown, DiffFormat.json: diff_json}[fmt]
    typer.echo(render(result), nl=False)
    raise typer.Exit(EXIT_OK if result.same else EXIT_PROBLEMS)


def _version(ref: str, dirs: list[Path], today: date) -> Any:
    """A version to compare or replay on; a warning line if it fails rules beyond what the engine needs."""
    from aesthetic_protocols.diff import load_version

    loaded, problems = load_version(ref, dirs, today)
    if problems:
        typer.echo(f"protocol: warning: {loaded.source.path} fails {len(problems)} rule check(s) of this tool "
                   f"(first: {problems[0].rule}); it is compared as written. See: protocol validate PATH", err=True)
    return loaded


# --- the chairside walk -----------------------------------------------------------------------------

# Text, not Path: typer would turn an empty `--log-dir=` into Path("") == ".", hiding the mistake.
LogDir = Annotated[str | None, typer.Option("--log-dir", help="Session log folder (env AESTHETIC_PROTOCOLS_LOG_DIR).")]
Plain = Annotated[bool, typer.Option("--plain", metavar="", help="Plain mode: no colour, one line per prompt.")]


def _use_witness(option: str | None) -> str | None:
    """`--witness PATH`: a path, never empty (it stands before $AESTHETIC_PROTOCOLS_WITNESS)."""
    if option is not None and not option:
        raise typer.BadParameter("needs a file path")
    return option


Witness = Annotated[str | None, typer.Option(
    "--witness", metavar="PATH", callback=_use_witness,
    help="Witness file outside the log folder (a share, a USB key): each close appends 'session head-hash' "
         "(env AESTHETIC_PROTOCOLS_WITNESS).")]


def _log_dir(option: str | None) -> Path:
    from aesthetic_protocols.journal import resolve_log_dir

    return resolve_log_dir(option)


@app.command()
def run(
    protocol_id: Annotated[str | None, typer.Argument(metavar="ID", autocompletion=complete_protocol_id)] = None,
    log_dir: LogDir = None,
    patient: Annotated[str | None, typer.Option("--patient", help="Pseudonymous reference, never a name.")] = None,
    practitioner: Annotated[str | None, typer.Option(
        "--practitioner", metavar="NAME",
        help="Who is treating, as it should appear on the record (written to the log).")] = None,
    plain: Plain = False,
    protocols: ProtocolDirs = None,
    witness: Witness = None,
    clinic: ClinicFile = None,
    photos: Photos = None,
) -> None:
    """Walk protocol ID at the chair (also `protocol ID`). Exit 0 outcome, 3 interrupted (resumable)."""
    walk_new(protocol_id, log_dir, patient, practitioner, plain, protocols, witness, clinic, photos)


@app.command()
def resume(
    session: Annotated[str | None, typer.Argument(
        metavar="SESSION", autocompletion=complete_session,
        help="Session id, a unique start of it, the short id on the screen, or the log's path; "
                                  "none = choose among the interrupted sessions.")] = None,
    log_dir: LogDir = None,
    force: Annotated[bool, typer.Option("--force", metavar="",
                                        help="Continue although the protocol changed (recorded).")] = False,
    plain: Plain = False,
    protocols: ProtocolDirs = None,
    witness: Witness = None,
    clinic: ClinicFile = None,
    photos: Photos = None,
) -> None:
    """Continue an interrupted session from its log, appending to the same log."""
    walk_resume(session, log_dir, force, plain, protocols, witness, clinic, photos)


@app.command()
def abandon(
    session: Annotated[str, typer.Argument(
        metavar="SESSION", autocompletion=complete_session,
        help="Session id, a unique start of it, the short id, or the log's path.")],
    reason: Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="Why (recorded).")] = None,
    log_dir: LogDir = None,
) -> None:
    """Close an interrupted session for good, without an outcome: records `abandoned` and closes its log,
    which stays verifiable and leaves the resume list."""
    from aesthetic_protocols.launch import log_dir_of
    from aesthetic_protocols.sessions import abandon_session

    path = abandon_session(session, log_dir_of(log_dir), (reason or "").strip())
    typer.echo(f"abandoned; the log is closed: {path}")


# --- session logs -----------------------------------------------------------------------------------


def _events(session: str, log_dir: str | None) -> tuple[list[Logged], Any]:
    """A session's events and their verification; warns (stderr) when the log is not intact."""
    from aesthetic_protocols.errors import LogError
    from aesthetic_protocols.journal import existing_log, read_events

    path = existing_log(session, _log_dir(log_dir))
    events, verification = read_events(path)
    if not events:
        raise LogError(f"{path}: no readable events ({verification.reason})")
    if not verification.ok:
        typer.echo(f"protocol: warning: log is not intact: {verification.reason}", err=True)
    _log_warnings(verification)
    return events, verification


@log_app.command("list")
def log_list(log_dir: LogDir = None,
             drills: Annotated[bool, typer.Option("--drills", help="Also list drill logs (marked DRILL).")] = False,
             ) -> None:
    """Session logs, newest first: started, protocol, version, outcome or interrupted, patient reference."""
    from aesthetic_protocols.journal import drill_count, sessions
    from aesthetic_protocols.report import session_list, session_summary

    folder = _log_dir(log_dir)
    rows = []
    for listed in sessions(folder, drills):
        row = session_summary(listed.events)
        row["state"] += ("" if listed.intact else " [ALTERED]") + (" [DRILL]" if listed.drill else "")
        rows.append(row)
    typer.echo(_for_window(session_list(rows)), nl=False)
    if not rows:
        hidden = 0 if drills else drill_count(folder)
        typer.echo(f"no session logs in {folder}" + (f" ({hidden} drill logs: see --drills)" if hidden else ""),
                   err=True)


@log_app.command("show")
def log_show(session: Annotated[str, typer.Argument(metavar="SESSION", autocompletion=complete_session)],
             log_dir: LogDir = None, protocols: ProtocolDirs = None) -> None:
    """The timeline of a session: clock time, elapsed, step, answer, notes."""
    from aesthetic_protocols.logged_protocol import find_logged_protocol
    from aesthetic_protocols.report import timeline_text

    events, _ = _events(session, log_dir)
    # The protocol walked, if found, words what an old log holds only as keys.
    typer.echo(_for_window(timeline_text(events, find_logged_protocol(events, _dirs(protocols), date.today()))),
               nl=False)


def _log_warnings(verification: Any) -> None:
    for warning in verification.warnings:
        typer.echo(f"protocol: warning: {warning}", err=True)


@log_app.command("verify")
def log_verify(
    session: Annotated[str, typer.Argument(metavar="SESSION", autocompletion=complete_session)],
    log_dir: LogDir = None,
    head: Annotated[str | None, typer.Option(
        "--head", metavar="HASH", help="The head hash kept elsewhere (printed on the record): the log must end there.")
    ] = None,
    witness: Annotated[str | None, typer.Option(
        "--witness", metavar="PATH", help="The witness file to check against (env AESTHETIC_PROTOCOLS_WITNESS).")
    ] = None,
) -> None:
    """Check the hash chain and the close anchor, and a head hash or witness kept elsewhere when given.
    Exit 0 intact, 1 altered or torn (names the first bad line)."""
    from aesthetic_protocols.journal import existing_log, verify
    from aesthetic_protocols.journal import witness_file as configured

    if head is not None and not re.fullmatch(r"[0-9a-f]{64}", head):
        raise UsageError("--head takes a sha256 head hash: 64 hexadecimal digits")
    path = existing_log(session, _log_dir(log_dir))
    result = verify(path, head=head, witness=configured(witness))
    _log_warnings(result)
    if result.ok:
        photos, evidence = _evidence_checked(path)
        for problem in evidence:
            typer.echo(f"{path}: altered: {problem}")
        if evidence:
            raise typer.Exit(EXIT_PROBLEMS)
        note = f" ({result.note})" if result.note else ""
        checked = f", {photos} photograph(s) checked" if photos else ""
        typer.echo(f"{path}: intact, {result.count} events{note}{checked}")
        return
    where = f"{path}:{result.first_bad_line}" if result.first_bad_line is not None else str(path)
    typer.echo(f"{where}: altered: {result.reason}")
    raise typer.Exit(EXIT_PROBLEMS)


def _evidence_checked(path: Path) -> tuple[int, list[str]]:
    """The photographs a log's answers took and what is wrong with their evidence files (missing, altered)."""
    from aesthetic_protocols.journal import read_events
    from aesthetic_protocols.photo import photo_answers, verify_evidence

    events, _ = read_events(path)
    return len(photo_answers(events)), verify_evidence(path, events)


class ExportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"
    fhir = "fhir"
    handover = "handover"  # the one-page SBAR handover sheet (Markdown)
    handover_html = "handover-html"  # the same sheet as a printable A4 HTML page


def _record_renderer(fmt: ExportFormat, events: list[Logged], verification: Any,
                     protocols: list[Path] | None) -> Any:
    """The md, html, json or fhir renderer, `render(events, anonymise) -> str`, given the protocol the log ran under
    (found again on the search path)."""
    from functools import partial

    from aesthetic_protocols import report
    from aesthetic_protocols.logged_protocol import find_logged_protocol
    from aesthetic_protocols.report.fhir import record_fhir

    logged = _with_logged_clinic(find_logged_protocol(events, _dirs(protocols), date.today()), events)
    if not logged.same:
        typer.echo(f"protocol: warning: {logged.check}", err=True)
    if fmt is ExportFormat.fhir:
        return partial(record_fhir, logged=logged)
    if fmt is ExportFormat.json:
        return partial(report.record_json, logged=logged)
    integrity = (f"intact ({verification.count} events)" if verification.ok
                 else f"NOT INTACT: {verification.reason}")
    record = report.record_markdown if fmt is ExportFormat.md else report.record_html
    return partial(record, logged=logged, integrity=integrity)


def _with_logged_clinic(logged: Any, events: list[Logged]) -> Any:
    """The protocol walked, with the contacts its walk showed (see clinic.with_logged_clinic)."""
    from dataclasses import replace

    from aesthetic_protocols.clinic import with_logged_clinic

    if logged.protocol is None:
        return logged
    from aesthetic_protocols.recorded import start_event

    protocol, warning = with_logged_clinic(logged.protocol, start_event(events).clinic_sha256 if events else None)
    if warning is not None:
        typer.echo(f"protocol: warning: {warning}", err=True)
    return replace(logged, protocol=protocol)


@log_app.command("export")
def log_export(
    session: Annotated[str, typer.Argument(metavar="SESSION", autocompletion=complete_session)],
    fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.md,
    anonymise: Annotated[bool, typer.Option("--anonymise", "--anonymize", metavar="",
                                            help="Drop ids, names, clock times and note text.")] = False,
    log_dir: LogDir = None,
    protocols: ProtocolDirs = None,
    with_photos: Annotated[bool, typer.Option("--with-photos", metavar="",
                                              help="Keep the photographs in an anonymised record.")] = False,
) -> None:
    """The session as a Markdown, HTML or JSON record, a FHIR R4 Bundle (JSON), or the SBAR handover sheet. HTML
    embeds the photographs (downscaled) and FHIR carries them as Media resources; --anonymise leaves them out
    unless --with-photos."""
    events, verification = _events(session, log_dir)
    if fmt in (ExportFormat.handover, ExportFormat.handover_html):  # read from the log alone
        from aesthetic_protocols.report import handover

        sheet = handover.handover_markdown if fmt is ExportFormat.handover else handover.handover_html
        typer.echo(sheet(events, anonymise), nl=False)
        return
    render = _record_renderer(fmt, events, verification, protocols)
    if fmt in (ExportFormat.html, ExportFormat.fhir) and (with_photos or not anonymise):
        from aesthetic_protocols.journal import existing_log
        from aesthetic_protocols.photo import evidence_files, photo_answers

        if photo_answers(events):
            render = partial(render, photos=evidence_files(existing_log(session, _log_dir(log_dir)), events))
    typer.echo(render(events, anonymise), nl=fmt is ExportFormat.json)


class ReplayFormat(StrEnum):
    text = "text"
    json = "json"


@log_app.command("replay")
def log_replay(
    session: Annotated[str | None, typer.Argument(
        metavar="[SESSION]", autocompletion=complete_session, help="Session id or log path.")] = None,
    against: Annotated[str, typer.Option("--against", metavar="ID|PATH",
                                         help="The version to replay on: a protocol id or a file path.")] = "",
    every: Annotated[bool, typer.Option("--all", help="Every session of that protocol in the log folder.")] = False,
    drills: Annotated[bool, typer.Option("--drills", help="With --all: include drill logs.")] = False,
    fmt: Annotated[ReplayFormat, typer.Option("--format")] = ReplayFormat.text,
    log_dir: LogDir = None,
    protocols: ProtocolDirs = None,
) -> None:
    """Re-walk past sessions' answers on another version: where each would now go elsewhere, and which
    instructions on its path changed. Exit 0 all same, 1 some diverge, 2 usage."""
    from aesthetic_protocols.journal import existing_log
    from aesthetic_protocols.replay import Versions, replay_all, replay_log
    from aesthetic_protocols.report.replay import replay_json, replay_table, replay_text

    if not against:
        raise UsageError("log replay needs --against ID|PATH (the version to replay on)")
    if every == (session is not None):
        raise UsageError("log replay takes either SESSION or --all")
    dirs = _dirs(protocols)
    versions = Versions(_version(against, dirs, date.today()), dirs, date.today())
    protocol = versions.against.protocol
    folder = _log_dir(log_dir)
    if session is not None:
        path = existing_log(session, folder)
        results = [replay_log(path, versions)]
        if results[0].protocol != protocol.id:
            raise UsageError(f"{path}: a session of {results[0].protocol}, not of {protocol.id}")
    else:
        results, skipped = replay_all(folder, versions, drills)
        for reason in skipped:
            typer.echo(f"protocol: warning: skipped: {reason}", err=True)
        if not results:
            typer.echo(f"protocol: no session logs of {protocol.id} in {folder}", err=True)
    if fmt is ReplayFormat.json:
        typer.echo(replay_json(results, protocol.id, protocol.version), nl=False)
    elif session is not None:
        typer.echo(replay_text(results[0]), nl=False)
    else:
        typer.echo(replay_table(results, protocol.id, protocol.version), nl=False)
    raise typer.Exit(EXIT_OK if all(r.same for r in results) else EXIT_PROBLEMS)
