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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr, StringConstraints

from aesthetic_protocols.errors import Problem, ProtocolsError, Severity, UsageError
from aesthetic_protocols.model import CONTACT_RE, MAGNITUDE, Day, Line, Protocol, Slug, Strict, model_schema
from aesthetic_protocols.source import Source

if TYPE_CHECKING:
    from re import Match

CLINIC_ENV = "AESTHETIC_PROTOCOLS_CLINIC"
CLINIC_FILE = "clinic.yaml"
# Items the kit must hold, and that are emergency items unless their entry says otherwise.
EMERGENCY_ITEMS = ("hyaluronidase", "adrenaline")
WARN_DAYS = 30  # an item expiring within this many days is a warning
# Digits, spaces, +, - and parentheses, with at least one digit ("999", "+44 (0)1234 567890").
PHONE_PATTERN = r"^[0-9+() -]*[0-9][0-9+() -]*$"
Phone = Annotated[StrictStr, StringConstraints(pattern=PHONE_PATTERN, max_length=40)]


class ClinicInfo(Strict):
    """The clinic itself."""

    name: Line
    """The clinic's name, shown on the record."""
    address: Line | None = None
    """Its address, one line."""


class Contact(Strict):
    """Someone to call: a service, a unit, a colleague."""

    label: Line
    """Who they are, as shown on the screen ("Eye casualty, County Hospital")."""
    phone: Phone
    """The number to call: digits, spaces, +, - and parentheses."""
    address: Line | None = None
    """Where they are, one line."""


class KitItem(Strict):
    """One item of the emergency kit."""

    item: Slug
    """The item's key (a slug): trees' conditions name it (`{kit: hyaluronidase, expired: true}`)."""
    label: Line
    """The item in words ("Hyaluronidase 1500 U ampoules")."""
    quantity: StrictInt | None = Field(default=None, ge=0, le=MAGNITUDE)
    """How many are in the kit; 0 counts as missing."""
    location: Line | None = None
    """Where it is kept ("Room 2 red box")."""
    batch: Line | None = None
    """The batch number."""
    expiry: Day | None = None
    """The expiry date (YYYY-MM-DD); usable through that day."""
    emergency: StrictBool | None = None
    """Whether `protocol clinic check` fails when it is missing or expired (default: true for hyaluronidase
    and adrenaline, false otherwise)."""

    def is_emergency(self) -> bool:
        """The entry's `emergency`, or whether its key is one of the emergency items."""
        return self.item in EMERGENCY_ITEMS if self.emergency is None else self.emergency

    def in_stock(self) -> bool:
        """Listed with a quantity other than 0."""
        return self.quantity != 0

    def expired(self, today: date) -> bool:
        """Past its expiry date (an entry without one never expires)."""
        return self.expiry is not None and self.expiry < today


class Practitioner(Strict):
    """Someone who works at the clinic."""

    name: Line
    """Their name as it appears on records."""
    role: Line | None = None
    """Their role (nurse, doctor, dentist...)."""
    prescriber: StrictBool = False
    """Whether they may prescribe."""


class Clinic(Strict):
    """A `clinic.yaml` file: the clinic, its contacts, its emergency kit and its practitioners."""

    clinic: ClinicInfo
    """The clinic's name and address."""
    contacts: dict[Slug, Contact] = Field(default_factory=dict)
    """Who to call, by key (a slug); trees name them as `{contact:KEY}`."""
    kit: list[KitItem] = Field(default_factory=list)
    """The emergency kit, item by item (an item may have several entries, one per batch)."""
    practitioners: list[Practitioner] = Field(default_factory=list)
    """Who works there."""

    def entries(self, item: str) -> list[KitItem]:
        """The kit's entries for one item key."""
        return [entry for entry in self.kit if entry.item == item]

    def kit_present(self, item: str) -> bool:
        """Whether the kit holds the item (an entry whose quantity is not 0)."""
        return any(entry.in_stock() for entry in self.entries(item))

    def kit_expired(self, item: str, today: date) -> bool:
        """Whether the item is in the kit but every entry in stock has expired (none is usable).
        An item not in the kit is not expired: ask `kit_present`."""
        stocked = [entry for entry in self.entries(item) if entry.in_stock()]
        return bool(stocked) and all(entry.expired(today) for entry in stocked)

    def contact_text(self, key: str) -> str | None:
        """"Label, phone" of a contact (None when the clinic has no such contact)."""
        contact = self.contacts.get(key)
        return None if contact is None else f"{contact.label}, {contact.phone}"


@dataclass(frozen=True)
class LoadedClinic:
    """A validated clinic file, its source (positions) and the sha256 of its bytes."""

    clinic: Clinic
    source: Source

    @property
    def sha256(self) -> str:
        return self.source.sha256


CLINIC_SCHEMA_ID = "https://aesthetic-protocols.invalid/clinic.schema.json"


def clinic_schema() -> dict[str, object]:
    """JSON Schema (2020-12) of a clinic file, for editors and outside checkers."""
    return model_schema(Clinic, CLINIC_SCHEMA_ID, "aesthetic-protocols clinic file")


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


def load(path: Path, display: str | None = None) -> LoadedClinic:
    """Read and validate a clinic file; raises InvalidProtocol with located problems."""
    from aesthetic_protocols.loader import build_model, parse_source

    source = parse_source(path, display)
    return LoadedClinic(build_model(Clinic, source), source)


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
    return protocol.model_copy(update={"contacts": resolved_contacts(protocol.contacts, clinic)})


def with_found_clinic(protocol: Protocol, option: Path | None) -> Protocol:
    """The protocol with the contacts of the clinic file found (`--clinic`, the environment, the config
    folder). For the card and the review document, printed at a desk: a named file missing or invalid is an
    error here (UsageError, InvalidProtocol), unlike at the chair."""
    if not protocol.contacts:
        return protocol
    found = find(option)
    return with_contacts(protocol, load(found).clinic if found is not None else None)


def with_logged_clinic(protocol: Protocol, logged_sha: object) -> tuple[Protocol, str | None]:
    """The protocol a record shows: with the clinic file's contacts when the file found now (environment or
    config folder) is the one the walk's start event names by its sha256; else the tree's words and why."""
    if not logged_sha or not protocol.contacts:
        return protocol, None
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
