"""The `protocol` entry point, and the walk commands without typer.

`protocol ID` (the chairside start, during an emergency) is recognised and started here before typer is
imported; every other command goes to the typer app in `cli`. The walk commands (`run`, `resume`) live
here so both routes share them: they build the one clock and the face, and call the walker.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aesthetic_protocols import SUBCOMMANDS
from aesthetic_protocols.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Interrupted,
    ProtocolsError,
    UsageError,
)

if TYPE_CHECKING:
    from aesthetic_protocols.clinic import LoadedClinic
    from aesthetic_protocols.sessions import OpenSession
    from aesthetic_protocols.source import Loaded
    from aesthetic_protocols.walker import Outcome

_debug = {"on": False}
COMPLETE_VAR = "_PROTOCOL_COMPLETE"  # set by the shell's completion script (typer's name for `protocol`)
_collector = {"paused": False}


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point. `protocol ID` with plain options starts the walk without importing typer;
    everything else goes through typer."""
    args = prepare(list(sys.argv[1:] if argv is None else argv), SUBCOMMANDS)
    completing = COMPLETE_VAR in os.environ  # the shell asks for words: never start a walk, whatever the line
    fast = fast_run_options(args[1:]) if args[:1] == ["run"] and not completing else None
    if fast is not None:
        options = fast

        def walk_now() -> int:
            with _collector_paused():
                walk_new(**options)
            return EXIT_OK

        sys.exit(guarded(walk_now))
    from aesthetic_protocols.cli import app

    app(args=argv, prog_name="protocol")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The chairside start imports pydantic and the walk's modules and loads the protocol: objects that nearly
    all live as long as the process. The cyclic collector is paused while they are made, then they are frozen
    (`_start_settled`), so neither the collections during the start nor the one at exit walk them (about
    20 ms of every start). A start that fails only resumes the collector."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    _collector["paused"] = True
    try:
        yield
    finally:
        if _collector["paused"]:
            _collector["paused"] = False
            gc.enable()


def _start_settled() -> None:
    """The protocol is loaded and the face chosen: what exists now lives to the end, and the collector looks
    after the walk's own garbage as usual."""
    if _collector["paused"]:
        _collector["paused"] = False
        gc.freeze()
        gc.enable()


def prepare(argv: list[str], commands: set[str] | frozenset[str]) -> list[str]:
    """Strip `--debug` (anywhere) and turn `protocol ID ...` into `protocol run ID ...`."""
    _debug["on"] = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        argv.insert(0, "run")
    return argv


class ReaderGone(Exception):
    """Our output's reader went away (EPIPE); not an OSError, so that typer does not map it to exit 1."""


def guarded(action: Callable[[], int], other: Callable[[Exception], int | None] | None = None) -> int:
    """Run a command; every expected problem becomes one line on stderr and its exit code.

    `other` may turn further exceptions (typer's own) into an exit code; anything left is an internal error.
    """
    try:
        code = action()
        sys.stdout.flush()  # output still buffered meets a closed pipe here, inside the guard
        return code
    except KeyboardInterrupt:  # Ctrl-C before a walk began (a walk records its own interruption)
        say("protocol: interrupted")
        return EXIT_INTERRUPTED
    except (BrokenPipeError, ReaderGone):
        # The reader went away (`protocol show ID | head`): stop quietly, as a pipe-killed tool does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ProtocolsError as exc:
        say(f"protocol: {exc.message}")
        return exc.exit_code
    except Exception as exc:
        mapped = other(exc) if other is not None else None
        if mapped is not None:
            return mapped
        if _debug["on"]:
            import traceback

            traceback.print_exc()
        say(f"protocol: internal error ({type(exc).__name__}); run again with --debug for details")
        return EXIT_INTERNAL


def say(line: str) -> None:
    """One line on stderr."""
    print(line, file=sys.stderr, flush=True)


_RUN_VALUES = {"--log-dir": "log_dir", "--patient": "patient", "--practitioner": "practitioner",
               "--protocols": "protocols", "--clinic": "clinic", "--photos": "photos"}


def fast_run_options(args: list[str]) -> dict[str, Any] | None:
    """`run`'s arguments read without typer (about 100 ms at every start, which a practitioner waits
    through during an emergency). Only the plain, well-formed spellings are read here; anything else
    returns None and goes through typer, which also gives its usage errors."""
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


# --- finding a protocol ----------------------------------------------------------------------------------


def search_dirs(extra: list[Path] | None) -> list[Path]:
    """The protocol search path with any `--protocols` folders after it."""
    from aesthetic_protocols.search import search_path

    return search_path(extra or [])


def load_protocol(protocol_id: str, protocols: list[Path] | None) -> Loaded:
    """The validated protocol behind an id; an unknown id is a usage error naming the closest known ids."""
    from aesthetic_protocols.cache import load_valid
    from aesthetic_protocols.search import discover, resolve_id

    dirs = search_dirs(protocols)
    try:
        found = resolve_id(protocol_id, dirs)
    except UsageError:
        if "/" in protocol_id or "\\" in protocol_id or protocol_id.startswith("."):
            raise  # a path where an id belongs: the loader's own message says so
        raise UsageError(unknown_id_message(protocol_id, sorted(discover(dirs)))) from None
    if found.shadows is not None:
        say(f"protocol: warning: '{found.id}' from {found.path} shadows {found.shadows}")
    loaded, warnings = load_valid(found.path, date.today())
    for warning in warnings:
        say(f"protocol: {warning}")
    return loaded


def unknown_id_message(typed: str, known: list[str]) -> str:
    """Why an id is unknown, with the closest ids or commands; what was typed is never repeated."""
    import difflib

    word = typed.lower()
    close = [known_id for known_id in known
             if word and (known_id.startswith(word) or "".join(part[:1] for part in known_id.split("-")) == word)]
    close += [m for m in difflib.get_close_matches(word, known, n=3, cutoff=0.6) if m not in close]
    commands = difflib.get_close_matches(word, sorted(SUBCOMMANDS - {"run"}), n=1, cutoff=0.6)
    message = "no protocol with that id on the search path"
    if commands and not close:
        message += f"; did you mean the command 'protocol {commands[0]}'?"
    elif close:
        message += f"; did you mean {' or '.join(close[:3])}?"
    return message + f" (protocols: {', '.join(known) or 'none found'})"


# --- the walk commands -------------------------------------------------------------------------------------


def log_dir_of(option: str | None) -> Path:
    """The session log folder: --log-dir, the environment, or the platform's default."""
    from aesthetic_protocols.journal import resolve_log_dir

    return resolve_log_dir(option)


def clinic_for_walk(option: str | Path | None) -> LoadedClinic | None:
    """The clinic file for a walk (`--clinic`, the environment, the config folder), or None. At the chair a
    clinic file that is missing or invalid never stops the walk: it is said on stderr, and the screens show
    the trees' own words for their contacts."""
    from aesthetic_protocols import clinic
    from aesthetic_protocols.cache import load_valid_clinic

    try:
        found = clinic.find(Path(option) if option is not None else None)
        return load_valid_clinic(found, date.today()) if found is not None else None
    except ProtocolsError as exc:
        say(f"protocol: warning: clinic file not used: {exc.message}")
        return None


def photos_folder(option: str | None) -> Path | None:
    """`--photos DIR`: the folder a phone or camera syncs to; it must be a folder (usage error, exit 2)."""
    if option is None:
        return None
    folder = Path(option).expanduser()
    if not folder.is_dir():
        raise UsageError("--photos: no folder at that path")
    return folder


def walk_new(protocol_id: str | None, log_dir: str | None = None, patient: str | None = None,
             practitioner: str | None = None, plain: bool = False, protocols: list[Path] | None = None,
             witness: str | None = None, clinic: str | None = None, photos: str | None = None) -> None:
    """`protocol ID` / `protocol run ID`: walk a protocol on the real clock (Interrupted: exit 3)."""
    from aesthetic_protocols.faces import choose_face
    from aesthetic_protocols.journal import witness_file as configured
    from aesthetic_protocols.walker import local_now, start_walk

    if not protocol_id:
        from aesthetic_protocols.search import discover

        known = sorted(discover(search_dirs(protocols)))
        raise UsageError(f"which protocol? protocol run ID, with ID one of: {', '.join(known) or '(none found)'}")
    loaded = load_protocol(protocol_id, protocols)
    clock = local_now
    face = choose_face(plain, clock)
    _start_settled()
    # The clinic file is read when the tree names contacts or reads the kit (or it is named): a tree that does
    # not use it starts without the lookup (platformdirs) or the parser.
    uses_clinic = bool(loaded.protocol.contacts) or loaded.protocol.reads_kit()
    clinic_file = clinic_for_walk(clinic) if clinic is not None or uses_clinic else None
    ended(start_walk(loaded, log_dir_of(log_dir), face=face, clock=clock, patient=patient,
                     practitioner=practitioner, witness=configured(witness), clinic=clinic_file,
                     photos=photos_folder(photos)))


def walk_resume(session: str | None, log_dir: str | None = None, force: bool = False, plain: bool = False,
                protocols: list[Path] | None = None, witness: str | None = None, clinic: str | None = None,
                photos: str | None = None) -> None:
    """`protocol resume [SESSION]`: continue an interrupted session; without SESSION, choose one."""
    from aesthetic_protocols.faces import choose_face
    from aesthetic_protocols.journal import witness_file as configured
    from aesthetic_protocols.walker import local_now, resume_walk

    folder = log_dir_of(log_dir)
    clock = local_now
    face = choose_face(plain, clock)
    if session is None:
        session = _choose_session(folder, face.name == "plain", search_dirs(protocols))
    ended(resume_walk(session, folder, search_dirs(protocols), face=face, clock=clock, force=force,
                      today=date.today(), witness=configured(witness), clinic=clinic_for_walk(clinic),
                      photos=photos_folder(photos)))


def _choose_session(folder: Path, plain: bool, dirs: list[Path]) -> str:
    """The interrupted sessions, newest first: picked by number in a terminal, listed (exit 2) in plain mode."""
    from aesthetic_protocols.walker import interrupted_sessions

    sessions = interrupted_sessions(folder, _title_finder(dirs))
    if not sessions:
        raise UsageError(f"no interrupted sessions in {folder}")
    for number, item in enumerate(sessions, start=1):
        say(session_line(number, item))
    if plain:
        from aesthetic_protocols.faces import command_name

        raise UsageError(f"which session? {command_name()} resume ID (the short id above, or the session id)")
    try:
        answer = input(f"Resume which session (1-{len(sessions)}, Enter = 1)? ").strip() or "1"
    except EOFError:
        raise UsageError("no session chosen") from None
    if not answer.isdigit() or not 1 <= int(answer) <= len(sessions):
        raise UsageError(f"choose a number from 1 to {len(sessions)}")
    return sessions[int(answer) - 1].session_id


def session_line(number: int, item: OpenSession) -> str:
    """One interrupted session as the resume list shows it: patient, protocol, step, time, short id, and
    whether a walker holds it open elsewhere."""
    from aesthetic_protocols.journal import short_id

    patient = f"patient {item.patient}" if item.patient else "no patient ref"
    busy = "  OPEN ELSEWHERE" if item.open_elsewhere else ""
    return (f"{number:>2}  {item.started[:16].replace('T', ' ')} UTC  {patient}  {item.protocol}  "
            f"at \"{item.title or item.node}\"  (id {short_id(item.session_id)}){busy}")


def _title_finder(dirs: list[Path]) -> Callable[[str, str], str | None]:
    """(protocol id, node id) -> the node's title in the protocol on the search path (None if not found)."""
    from aesthetic_protocols.cache import load_valid
    from aesthetic_protocols.search import resolve_id

    loaded: dict[str, Any] = {}

    def title_of(protocol_id: str, node: str) -> str | None:
        if protocol_id not in loaded:
            try:
                loaded[protocol_id] = load_valid(resolve_id(protocol_id, dirs).path, date.today())[0].protocol
            except ProtocolsError:
                loaded[protocol_id] = None
        protocol = loaded[protocol_id]
        found = protocol.nodes.get(node) if protocol is not None else None
        return str(found.title) if found is not None else None

    return title_of


def ended(outcome: Outcome) -> None:
    """Exit 3 with the resume hint when the walk was interrupted."""
    if not outcome.result.finished:
        raise Interrupted(f"session interrupted ({outcome.result.reason}); the log is kept "
                          f"(session {outcome.resume_ref})")  # the face has said how to resume, once
