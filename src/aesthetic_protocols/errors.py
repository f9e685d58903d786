"""The one family of expected problems, each with the exit code the CLI contract gives it."""

from __future__ import annotations

from enum import StrEnum

from aesthetic_protocols.plain_data import dataclass

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 3
EXIT_NOT_RECORDED = 74  # EX_IOERR: the log could not be written; the step was not recorded
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug; traceback only under --debug
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: whoever read our output stopped reading


class Severity(StrEnum):
    """How serious a problem is: an error fails validation; a warning only under --strict."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One located finding in a protocol file: `PATH:LINE:COL: error[RULE]: message`."""

    path: str
    line: int
    column: int
    severity: Severity
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}[{self.rule}]: {self.message}"


class ProtocolsError(Exception):
    """Base of every expected problem; the CLI shows `message` as one line and exits with `exit_code`."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ProtocolsError):
    """Unknown id, a path where an id belongs, a missing file, a bad option value."""

    exit_code = EXIT_USAGE


class InvalidProtocol(ProtocolsError):
    """The protocol failed validation; `problems` holds every located finding."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity is Severity.ERROR]
        first = errors[0] if errors else problems[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")
        self.problems = problems


class NotRecorded(ProtocolsError):
    """A session-log write or sync failed: the step was NOT recorded and the walk must stop."""

    exit_code = EXIT_NOT_RECORDED


class LogError(ProtocolsError):
    """A session log is missing, locked by another walker, unreadable or altered."""

    exit_code = EXIT_PROBLEMS


class Interrupted(ProtocolsError):
    """The walk ended before an outcome (quit, EOF, Ctrl-C, SIGTERM); the log is kept and resumable."""

    exit_code = EXIT_INTERRUPTED
