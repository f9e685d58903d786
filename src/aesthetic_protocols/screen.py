"""The one screen model: what a step shows, decided once; the plain and terminal faces (and a later web face)
only draw it.

A `Screen` is built from the engine's `Session` and holds words, never styles: the title and headline; what is
being asked (a record field, a number's bounds) and any timers; the decision (a question's options, all of
them) and the actions; the record's fields so far; the evidence (the step's text, where sources disagree) and
its sources; the red flags and how to raise them here; the keys that work; the status line.

Order is the point: the things to do come before the reasons. A question's options and an emergency screen's
first action are `pinned`: a face keeps them on screen with the title and the red flags, and pages the rest
(further actions, evidence, sources) below them.

`because` is the line a decision leaves on the next screen (why the walk came here, under the headline);
`confirm` is a confirmation sub-prompt ("Continue before the recheck is due?") asked in place of the status
line. An outcome's screen may carry timers and keys of its own: the handover screen (faces/handover.py) builds
its timers as `Timer`s and its log keys as key-bar entries.
"""

from __future__ import annotations

from dataclasses import field, replace
from datetime import datetime

from aesthetic_protocols.engine import Session
from aesthetic_protocols.nodes import amount_text, steps
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.report.clock import clock_text
from aesthetic_protocols.tree import (
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    RecordField,
    RecordNode,
    Status,
    WaitNode,
)


@dataclass(frozen=True)
class Option:
    """A question's option (or a record choice): the key that answers, its words and any detail."""

    key: str
    label: str
    detail: str | None = None


@dataclass(frozen=True)
class Timer:
    """A countdown shown under the headline: `text` ticks (a live face), `fixed` does not (plain lines, a print);
    `urgent` once due or overdue."""

    text: str
    fixed: str
    urgent: bool = False


@dataclass(frozen=True)
class FieldRow:
    """A record field on the screen: `here` (being asked), `done` (answered: value, or "(skipped)") or to come."""

    label: str
    value: str | None = None
    here: bool = False


@dataclass(frozen=True)
class KeyHint:
    """One entry of the key bar: `keys` then what they do, never split across lines."""

    keys: str
    does: str

    def __str__(self) -> str:
        return f"{self.keys} {self.does}"


@dataclass(frozen=True)
class Flag:
    """A red flag as this prompt takes it: `typed` is its key, or `!` then its key at a text field."""

    key: str
    label: str
    typed: str


@dataclass(frozen=True)
class Screen:
    """What one step shows. Faces choose only how it looks: layout, styles, paging."""

    heading: str  # the protocol's title and version
    banner: str | None  # DRAFT / RETIRED warning, or None when approved
    kind: str
    title: str
    headline: str | None = None
    because: str | None = None  # why the walk came here (a decision's reason): shown under the headline
    asking: str | None = None  # what the prompt takes, pinned under the title (a field, a number's bounds)
    timers: tuple[Timer, ...] = ()
    confirm: str | None = None  # a confirmation sub-prompt: shown in place of the status line while asked
    urgent: bool = False  # an emergency or red-flag screen: actions before evidence, the first one pinned
    severity: str | None = None  # an outcome's severity
    options: tuple[Option, ...] = ()
    actions: tuple[str, ...] = ()
    fields: tuple[FieldRow, ...] = ()
    evidence: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # the refs' full citations, for `?`
    flags: tuple[Flag, ...] = ()
    log_keys: tuple[Option, ...] = ()  # until handover: the keys that log an item now (and `h`), pinned
    logged: tuple[str, ...] = ()  # until handover: what was logged so far, with its clock time
    keys: tuple[KeyHint, ...] = ()
    hint: str = ""  # what the prompt takes, in one line (plain mode prints it last)
    status: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # room for later kinds; faces ignore unknown entries

    @property
    def pinned_actions(self) -> tuple[str, ...]:
        """The actions kept on screen with the title: an emergency screen's first action."""
        return self.actions[:1] if self.urgent else ()

    def with_status(self, status: str) -> Screen:
        return replace(self, status=status)


# --- the words shared by every face ---------------------------------------------------------------------


def status_banner(session: Session) -> str | None:
    """The DRAFT / RETIRED warning the walker shows on every screen, or None when approved."""
    protocol = session.protocol
    if protocol.status is Status.APPROVED:
        return None
    if protocol.status is Status.RETIRED:
        return "RETIRED protocol: do not use for care; check your current local protocol"
    return "DRAFT reference content, not approved by a clinician: check against your local protocol"


TEXT_FIELD_RULE = "At a text field a bare letter is text: a red flag there is ! then its key (!v)"


def has_text_fields(protocol: Protocol) -> bool:
    """Whether any record field of the protocol takes free text (where the `!` rule for red flags applies)."""
    return any(f.type in ("text", "photo") for node in protocol.nodes.values() if isinstance(node, RecordNode)
               for f in node.fields)


def flag_prefix(session: Session) -> str:
    """`!` at a text field (where a bare letter is text), else nothing: the one red-flag rule of every face."""
    return "!" if session.at_text_field else ""


def red_flags_line(session: Session) -> str:
    """The red flags as one line, as typed here: `v = Vision change; ...` or `!v = ...` at a text field."""
    prefix = flag_prefix(session)
    return "; ".join(f"{prefix}{flag.key} = {flag.label}" for flag in session.protocol.red_flags)


EARLY_QUESTION = "Continue before the recheck is due?"


def because_line(because: str) -> str:
    """The line a decision leaves on the next screen: why the walk came here."""
    return f"Decided: {because}"


def prompt_hint(session: Session) -> str:
    """What the current prompt takes, in one line (plain mode's words)."""
    if session.confirming_early:
        return f"{EARLY_QUESTION} y = yes, continue early; any other line = keep waiting"
    node = session.node
    if isinstance(node, QuestionNode):
        keys = [o.key for o in node.options]
        return f"answer: {', '.join(keys)} (or 1-{len(keys)})"
    if isinstance(node, InputNode):
        unit = f" {node.unit}" if node.unit else ""
        return f"enter a number from {node.min} to {node.max}{unit}"
    if isinstance(node, WaitNode):
        return "Enter to continue when reassessed (you may continue early)"
    record_field = session.field
    if record_field is not None:
        flags = session.protocol.red_flags
        rule = f"; red flag here: ! then its key ({'/'.join('!' + f.key for f in flags)})" if flags else ""
        return field_prompt(session, record_field) + (rule if session.at_text_field else "")
    return "Enter when done"


def decimals_text(count: int) -> str:
    """`1 decimal`, `2 decimals`."""
    return f"{count} decimal" if count == 1 else f"{count} decimals"


def field_prompt(session: Session, record_field: RecordField) -> str:
    """A record field in one line: its label, type, unit, bounds, whether required, and any default offered.

    `Dose given: number in U, 0-3000; required; Enter = 1000 (dose, as shown)`.
    """
    kind = record_field.type
    if kind == "number":
        what = f"number in {record_field.unit}" if record_field.unit else "number"
        bounds = record_field.bounds_text()
        if bounds is not None:
            what += f", {bounds}"
        if record_field.decimals:
            what += f", up to {decimals_text(record_field.decimals)}"
    elif kind == "choice":
        choices = record_field.choices
        what = "choice " + ", ".join(f"{c.key} = {c.label}" for c in choices) + f" (or 1-{len(choices)})"
    elif kind == "time":
        what = "time HH:MM"
    elif kind == "date":
        what = "date YYYY-MM-DD"
    elif kind == "photo":
        what = "photograph: paste or drag its file here (Enter = the newest in the --photos folder)"
    else:
        what = f"text, at most {record_field.max_length} characters"
    default = session.value_of(record_field.default) if record_field.default else None
    if default is not None:
        unit = f" {record_field.unit}" if record_field.unit else ""
        need = f"Enter = {default}{unit} ({record_field.default}, as shown)"
    else:
        need = "required" if record_field.required else "optional (Enter = skip)"
    return f"{record_field.label}: {what}; {need}"


def sources_lines(session: Session) -> list[str]:
    """The full citations of the current step's sources."""
    protocol = session.protocol
    lines = []
    for key in session.node.refs:
        ref = protocol.references.get(key)
        if ref is not None:
            lines.append(f"{key}: {ref.citation}" + (f" {ref.url}" if ref.url else ""))
    return lines


def elapsed(since: datetime | None, now: datetime) -> str:
    """Time since the session began, for the header of every step."""
    return clock_text(max(0, int((now - since).total_seconds())) if since else 0)


def wait_text(session: Session, now: datetime) -> str | None:
    """Where the current wait stands: due time and time left, or how long it has been overdue."""
    due = session.due()
    node = session.node
    if due is None or not isinstance(node, WaitNode):
        return None
    at = due.astimezone(now.tzinfo).strftime("%H:%M")
    left = int((due - now).total_seconds())
    if left > 0:
        return f"Reassess at {at} ({node.minutes} min wait): {clock_text(left)} left"
    if left > -60:
        return f"REASSESS NOW: due at {at}"
    return f"REASSESSMENT OVERDUE: due at {at}, {clock_text(-left)} ago"


def is_urgent(session: Session) -> bool:
    """An emergency screen: a red flag's step (or one reached by raising a flag), or an emergency outcome."""
    node = session.node
    if isinstance(node, OutcomeNode):
        return str(node.severity) == "emergency"
    if any(flag.goto == session.current for flag in session.protocol.red_flags):
        return True
    last = session.trail[-1] if session.trail else None
    return last is not None and last.how == "flag"


# --- building a screen -----------------------------------------------------------------------------------


def build_screen(session: Session, now: datetime, status: str = "") -> Screen:
    """The screen of the step the walk stands at, at `now`."""
    protocol = session.protocol
    node = session.node
    render = session.render
    options: tuple[Option, ...] = ()
    if isinstance(node, QuestionNode):
        options = tuple(Option(o.key, o.label, o.detail) for o in node.options)
    actions = tuple(render(step) for step in steps(node))
    asking: str | None = None
    if isinstance(node, InputNode):
        unit = f" {node.unit}" if node.unit else ""
        asking = f"A whole number from {node.min} to {node.max}{unit}"
    record_field = session.field
    if record_field is not None:
        asking = field_prompt(session, record_field)
    timers: tuple[Timer, ...] = ()
    waiting = wait_text(session, now)
    due = session.due()
    if waiting and due is not None and isinstance(node, WaitNode):
        overdue = " (overdue)" if due <= now else ""
        fixed = f"Wait {node.minutes} min: reassessment due at {due.astimezone(now.tzinfo):%H:%M}{overdue}"
        timers = (Timer(waiting, fixed, urgent=not waiting.startswith("Reassess at")),)
    evidence = tuple(text for text in (render(node.text) if node.text else None,
                                       f"Sources disagree: {node.disagreement}" if node.disagreement else None)
                     if text)
    prefix = flag_prefix(session)
    return Screen(
        heading=f"{protocol.title} v{protocol.version}",
        banner=status_banner(session),
        kind=str(node.kind),
        title=render(node.title),
        headline=render(node.headline) if node.headline else None,
        because=because_line(session.because) if session.because else None,
        asking=asking,
        confirm=f"{EARLY_QUESTION}  y = yes, continue early   any other key = keep waiting"
        if session.confirming_early else None,
        timers=timers,
        urgent=is_urgent(session),
        severity=str(node.severity) if isinstance(node, OutcomeNode) else None,
        options=options,
        actions=actions,
        fields=_field_rows(session, node) if isinstance(node, RecordNode) else (),
        evidence=evidence,
        refs=tuple(node.refs),
        sources=tuple(sources_lines(session)),
        flags=tuple(Flag(f.key, f.label, f"{prefix}{f.key}") for f in protocol.red_flags),
        keys=_keys(session),
        hint=prompt_hint(session),
        status=status,
    )


def _field_rows(session: Session, node: RecordNode) -> tuple[FieldRow, ...]:
    current = session.field
    done = session.records
    rows = []
    for record_field in node.fields:
        here = current is not None and record_field.id == current.id
        value = done.get(record_field.id) if not here else None
        if value and record_field.type == "choice":
            value = next((c.label for c in record_field.choices if c.key == value), value)
        if value and record_field.unit:
            value = amount_text(value, record_field.unit)
        elif value == "":
            value = "(skipped)"
        rows.append(FieldRow(record_field.label, value, here))
    return tuple(rows)


def _keys(session: Session) -> tuple[KeyHint, ...]:
    """The keys that work at this prompt, the red-flag rule stated as it applies here."""
    node = session.node
    record_field = session.field
    if session.confirming_early:  # one key answers the confirmation: nothing else works until it is given
        return (KeyHint("y", "continue early"), KeyHint("any other key", "keep waiting"))
    if isinstance(node, QuestionNode):
        hints = [KeyHint("/".join(o.key for o in node.options), "answer")]
    elif isinstance(node, InputNode):
        hints = [KeyHint("number", "+ Enter")]
    elif record_field is not None and record_field.type == "choice":
        hints = [KeyHint("/".join(c.key for c in record_field.choices), "choose")]
    elif record_field is not None:
        hints = [KeyHint("type the value", "+ Enter")]
    elif isinstance(node, WaitNode):
        hints = [KeyHint("Enter", "continue")]
    else:
        hints = [KeyHint("Enter", "done")]
    flags = session.protocol.red_flags
    if flags:
        prefix = flag_prefix(session)
        hints.append(KeyHint("/".join(f"{prefix}{flag.key}" for flag in flags), "red flag"))
    if session.trail and not isinstance(node, InputNode | RecordNode | OutcomeNode):
        hints.append(KeyHint("Backspace", "back"))
    if node.refs:
        hints.append(KeyHint("?", "sources"))
    return tuple(hints)

