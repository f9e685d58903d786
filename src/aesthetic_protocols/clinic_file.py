"""What a clinic file holds: its models (validated as strictly as a protocol), and reading one.

Split from `clinic` so that a walk which looks for the clinic file and finds none (the usual start) never
builds these models: `clinic` loads this module when a file is there to read (its names are still reachable
as `clinic.Clinic`, `clinic.load` and so on).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr, StringConstraints

from aesthetic_protocols.clinic import EMERGENCY_ITEMS
from aesthetic_protocols.model import MAGNITUDE, Day, Line, Slug, Strict, model_schema
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.source import Source

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


def load(path: Path, display: str | None = None) -> LoadedClinic:
    """Read and validate a clinic file; raises InvalidProtocol with located problems."""
    from aesthetic_protocols.loader import build_model, parse_source

    source = parse_source(path, display)
    return LoadedClinic(build_model(Clinic, source), source)
