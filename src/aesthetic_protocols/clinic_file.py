"""What a clinic file holds: its models (validated as strictly as a protocol), and reading one.

Split from `clinic` so that a walk which looks for the clinic file and finds none (the usual start) never
builds these models: `clinic` loads this module when a file is there to read (its names are still reachable
as `clinic.Clinic`, `clinic.load` and so on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StrictStr, StringConstraints

from aesthetic_protocols import clinic_data
from aesthetic_protocols.clinic_data import LoadedClinic as LoadedClinic
from aesthetic_protocols.model import MAGNITUDE, Day, Line, Slug, Strict, model_schema

# Digits, spaces, +, - and parentheses, with at least one digit ("999", "+44 (0)1234 567890").
PHONE_PATTERN = r"^[0-9+() -]*[0-9][0-9+() -]*$"
Phone = Annotated[StrictStr, StringConstraints(pattern=PHONE_PATTERN, max_length=40)]


class ClinicInfo(Strict, clinic_data.ClinicInfo):
    """The clinic itself."""

    name: Line
    """The clinic's name, shown on the record."""
    address: Line | None = None
    """Its address, one line."""


class Contact(Strict, clinic_data.Contact):
    """Someone to call: a service, a unit, a colleague."""

    label: Line
    """Who they are, as shown on the screen ("Eye casualty, County Hospital")."""
    phone: Phone
    """The number to call: digits, spaces, +, - and parentheses."""
    address: Line | None = None
    """Where they are, one line."""


class KitItem(Strict, clinic_data.KitItem):
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



class Practitioner(Strict, clinic_data.Practitioner):
    """Someone who works at the clinic."""

    name: Line
    """Their name as it appears on records."""
    role: Line | None = None
    """Their role (nurse, doctor, dentist...)."""
    prescriber: StrictBool = False
    """Whether they may prescribe."""


class Clinic(Strict, clinic_data.Clinic):
    """A `clinic.yaml` file: the clinic, its contacts, its emergency kit and its practitioners."""

    clinic: ClinicInfo
    """The clinic's name and address."""
    contacts: dict[Slug, Contact] = Field(default_factory=dict)
    """Who to call, by key (a slug); trees name them as `{contact:KEY}`."""
    kit: list[KitItem] = Field(default_factory=list)
    """The emergency kit, item by item (an item may have several entries, one per batch)."""
    practitioners: list[Practitioner] = Field(default_factory=list)
    """Who works there."""



CLINIC_SCHEMA_ID = "https://aesthetic-protocols.invalid/clinic.schema.json"


def clinic_schema() -> dict[str, object]:
    """JSON Schema (2020-12) of a clinic file, for editors and outside checkers."""
    return model_schema(Clinic, CLINIC_SCHEMA_ID, "aesthetic-protocols clinic file")


def load(path: Path, display: str | None = None) -> LoadedClinic:
    """Read and validate a clinic file; raises InvalidProtocol with located problems."""
    from aesthetic_protocols.loader import build_model, parse_source

    source = parse_source(path, display)
    return LoadedClinic(build_model(Clinic, source), source)
