"""The clinic's own file (`clinic.yaml`): who to call, the emergency kit and its expiry dates, who works there.

Read through the same gates as a protocol file (size bound, safe loader, no anchors or aliases, duplicate
keys, depth; see `loader`) and validated as strictly (unknown fields refused, nothing retyped), with every
problem located at `file:line:col`. The file is found by `--clinic PATH`, the environment variable
`AESTHETIC_PROTOCOLS_CLINIC`, or `clinic.yaml` in the platform's user config folder.

Emergency items: a kit entry is an emergency item when it says `emergency: true`; without the field, the
items keyed `hyaluronidase` and `adrenaline` are (the drugs the bundled trees call for in a vascular
occlusion and in anaphylaxis), every other item is not. Both of those keys must be in the kit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aesthetic_protocols.clinic_data import EMERGENCY_ITEMS as EMERGENCY_ITEMS
from aesthetic_protocols.errors import Problem, ProtocolsError, Severity, UsageError
from aesthetic_protocols.tree import CONTACT_RE, Protocol, replaced

if TYPE_CHECKING:
    from re import Match

    from aesthetic_protocols.clinic_data import Clinic as Clinic
    from aesthetic_protocols.clinic_data import ClinicInfo as ClinicInfo
    from aesthetic_protocols.clinic_data import Contact as Contact
    from aesthetic_protocols.clinic_data import KitItem as KitItem
    from aesthetic_protocols.clinic_data import LoadedClinic as LoadedClinic
    from aesthetic_protocols.clinic_data import Practitioner as Practitioner
    from aesthetic_protocols.clinic_file import CLINIC_SCHEMA_ID as CLINIC_SCHEMA_ID
    from aesthetic_protocols.clinic_file import PHONE_PATTERN as PHONE_PATTERN
    from aesthetic_protocols.clinic_file import Phone as Phone
    from aesthetic_protocols.clinic_file import clinic_schema as clinic_schema
    from aesthetic_protocols.clinic_file import load as load

CLINIC_ENV = "AESTHETIC_PROTOCOLS_CLINIC"
CLINIC_FILE = "clinic.yaml"
WARN_DAYS = 30  # an item expiring within this many days is a warning
# The file's models and its reading live in `clinic_file`, loaded on first use (PEP 562): a walk that finds
# no clinic file never builds them.
_IN_CLINIC_FILE = frozenset({"CLINIC_SCHEMA_ID", "PHONE_PATTERN", "Clinic", "ClinicInfo", "Contact", "KitItem",
                             "LoadedClinic", "Phone", "Practitioner", "clinic_schema", "load"})


def __getattr__(name: str) -> Any:
    if name not in _IN_CLINIC_FILE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module("aesthetic_protocols.clinic_file"), name)


def default_path() -> Path:
    """`clinic.yaml` in the platform's user config folder."""
    import platformdirs  # only when no file is named: off the start-up path

    return Path(platformdirs.user_config_dir("aesthetic-protocols", appauthor=False)) / CLINIC_FILE


def find(option: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The clinic file to read: `--clinic`, else the environment variable, else the user config folder's
    `clinic.yaml` if it exists (None: no clinic file). A named file that does not exist is a usage error."""
    env = os.environ if environ is None else environ
    named = option if option is not None else (Path(env[CLINIC_ENV]) if env.get(CLINIC_ENV) else None)
    if named is not None:
        if not named.is_file():
            raise UsageError(f"clinic file not found: {named}")
        return named
    fallback = default_path()
    return fallback if fallback.is_file() else None


def fill_contacts(text: str, contacts: Mapping[str, str]) -> str:
    """`{contact:KEY}` -> the words the tree's `contacts` give KEY (the clinic's label and phone once
    `with_contacts` has applied a clinic file). The one place contacts are filled: the walker (both faces),
    the card and the review document call it. A key the tree does not name is left as written (the rule
    `unknown-contact` refuses such a tree)."""
    if "{contact:" not in text:
        return text

    def one(match: Match[str]) -> str:
        return contacts.get(match.group(1), match.group(0))

    return CONTACT_RE.sub(one, text)


def resolved_contacts(defaults: Mapping[str, str], clinic: Clinic | None) -> dict[str, str]:
    """A tree's contacts with the clinic's "label, phone" where the clinic file has the key, else the tree's
    default words (a clinic contact no tree names is simply not used)."""
    resolved = dict(defaults)
    for key in defaults:
        found = clinic.contact_text(key) if clinic is not None else None
        if found is not None:
            resolved[key] = found
    return resolved


def with_contacts(protocol: Protocol, clinic: Clinic | None) -> Protocol:
    """The protocol as this clinic's screens show it: its `contacts` resolved (`resolved_contacts`)."""
    if clinic is None or not protocol.contacts:
        return protocol
    return replaced(protocol, contacts=resolved_contacts(protocol.contacts, clinic))


def with_found_clinic(protocol: Protocol, option: Path | None) -> Protocol:
    """The protocol with the contacts of the clinic file found (`--clinic`, the environment, the config
    folder). For the card and the review document, printed at a desk: a named file missing or invalid is an
    error here (UsageError, InvalidProtocol), unlike at the chair."""
    if not protocol.contacts:
        return protocol
    from aesthetic_protocols.clinic_file import load

    found = find(option)
    return with_contacts(protocol, load(found).clinic if found is not None else None)


def with_logged_clinic(protocol: Protocol, logged_sha: object) -> tuple[Protocol, str | None]:
    """The protocol a record shows: with the clinic file's contacts when the file found now (environment or
    config folder) is the one the walk's start event names by its sha256; else the tree's words and why."""
    if not logged_sha or not protocol.contacts:
        return protocol, None
    from aesthetic_protocols.clinic_file import load

    try:
        found = find(None)
        loaded = load(found) if found is not None else None
    except ProtocolsError:
        loaded = None
    if loaded is None or loaded.sha256 != logged_sha:
        return protocol, ("the clinic file the walk read is not at hand (or changed): contacts are shown in the "
                          "tree's words")
    return with_contacts(protocol, loaded.clinic), None


# --- `protocol clinic check` -------------------------------------------------------------------------------


def date_words(day: date) -> str:
    """31 March 2027."""
    return f"{day.day} {day:%B %Y}"


def expiry_words(expiry: date, today: date) -> str:
    """"expired on 31 March 2027", "expires today", "expires tomorrow", "expires in 12 days"."""
    days = (expiry - today).days
    if days < 0:
        return f"expired on {date_words(expiry)}"
    if days == 0:
        return "expires today"
    if days == 1:
        return "expires tomorrow"
    return f"expires in {days} days ({date_words(expiry)})"


def check(loaded: LoadedClinic, today: date) -> list[Problem]:
    """The kit against today: a missing or expired emergency item is an error; an item expiring within
    30 days, or another item expired, a warning. Located at the entry (or at `kit`)."""
    clinic, source = loaded.clinic, loaded.source
    problems: list[Problem] = []

    def add(loc: tuple[str | int, ...], severity: Severity, rule: str, message: str) -> None:
        line, column = source.where(loc)
        problems.append(Problem(source.path, line, column, severity, rule, message))

    for item in EMERGENCY_ITEMS:
        if not clinic.kit_present(item):
            add(("kit",), Severity.ERROR, "kit-missing", f"emergency item '{item}' is not in the kit")
    for index, entry in enumerate(clinic.kit):
        where: tuple[str | int, ...] = ("kit", index)
        if entry.is_emergency() and not entry.in_stock() and entry.item not in EMERGENCY_ITEMS:
            add((*where, "quantity"), Severity.ERROR, "kit-missing", f"emergency item '{entry.item}': none in the kit")
        if entry.expiry is None or not entry.in_stock():
            continue
        words = f"'{entry.item}' {expiry_words(entry.expiry, today)}"
        if entry.expired(today):
            if entry.is_emergency():
                add((*where, "expiry"), Severity.ERROR, "kit-expired", f"emergency item {words}")
            else:
                add((*where, "expiry"), Severity.WARNING, "kit-expired", f"item {words}")
        elif (entry.expiry - today).days <= WARN_DAYS:
            add((*where, "expiry"), Severity.WARNING, "kit-expiring", f"item {words}")
    return sorted(problems)


def example(today: date) -> str:
    """The commented example `protocol clinic init` writes (its expiry dates a year from today)."""
    later = date(today.year + 1, today.month, min(today.day, 28)).isoformat()
    return f"""\
# yaml-language-server: $schema=clinic.schema.json
# The clinic's own file: who to call, the emergency kit and its expiry dates, who works here.
# Check it with `protocol clinic check`; the walker reads it from --clinic PATH, the environment
# variable {CLINIC_ENV}, or this folder.
clinic:
  name: "Your clinic's name"
  address: "Street, town"

# Who to call, by key (lower-case letters, digits, '-'). A tree's text names them as {{contact:KEY}};
# the walker, the card and the record then show the label and the phone below.
contacts:
  ambulance: {{label: "Ambulance", phone: "999"}}
  eye-unit: {{label: "Eye casualty, nearest hospital", phone: "01234 567890"}}
  complications: {{label: "On-call complications service", phone: "01234 567891"}}

# The emergency kit, one entry per item (and per batch). Dates are YYYY-MM-DD.
# hyaluronidase and adrenaline must be here; they are emergency items (missing or expired: the check
# fails). Any other entry may say `emergency: true` to be checked the same way.
kit:
  - {{item: hyaluronidase, label: "Hyaluronidase 1500 U ampoules", quantity: 4, location: "Red box",
     batch: "HX123", expiry: {later}}}
  - {{item: adrenaline, label: "Adrenaline 1 mg/mL (1:1000) ampoules", quantity: 3, location: "Red box",
     batch: "AD456", expiry: {later}}}
  - {{item: aspirin, label: "Aspirin 300 mg tablets", quantity: 8, location: "Red box", expiry: {later}}}

practitioners:
  - {{name: "A. Smith", role: nurse, prescriber: false}}
"""


def init(path: Path, today: date) -> None:
    """Write the commented example at `path` (its folder made if need be); never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise UsageError(f"{path} already exists; not overwritten") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(example(today))
