"""A clinic file as a walk reads it: plain data classes (no pydantic) with the kit's questions.

The file's validation lives in `clinic_file` (pydantic models subclassing these); a walk served from the cache of
validated files (`cache.load_valid_clinic`) builds these directly and never imports pydantic or the YAML parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import date

from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.source import Source

# Items the kit must hold, and that are emergency items unless their entry says otherwise.
EMERGENCY_ITEMS = ("hyaluronidase", "adrenaline")


@dataclass(frozen=True, kw_only=True)
class ClinicInfo:
    """The clinic itself."""

    name: str
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class Contact:
    """Someone to call."""

    label: str
    phone: str
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class KitItem:
    """One item of the emergency kit."""

    item: str
    label: str
    quantity: int | None = None
    location: str | None = None
    batch: str | None = None
    expiry: date | None = None
    emergency: bool | None = None

    def is_emergency(self) -> bool:
        """The entry's `emergency`, or whether its key is one of the emergency items."""
        return self.item in EMERGENCY_ITEMS if self.emergency is None else self.emergency

    def in_stock(self) -> bool:
        """Listed with a quantity other than 0."""
        return self.quantity != 0

    def expired(self, today: date) -> bool:
        """Past its expiry date (an entry without one never expires)."""
        return self.expiry is not None and self.expiry < today


@dataclass(frozen=True, kw_only=True)
class Practitioner:
    """Someone who works at the clinic."""

    name: str
    role: str | None = None
    prescriber: bool = False


@dataclass(frozen=True, kw_only=True)
class Clinic:
    """A clinic file: the clinic, its contacts, its emergency kit and its practitioners."""

    clinic: ClinicInfo
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    kit: Sequence[KitItem] = field(default_factory=list)
    practitioners: Sequence[Practitioner] = field(default_factory=list)

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
