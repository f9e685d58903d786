"""aesthetic-protocols: walk injectable-complication protocols at the chair, with a tamper-evident log."""

from __future__ import annotations

__version__ = "0.1.0"
