"""aesthetic-protocols: walk injectable-complication protocols at the chair, with a tamper-evident log."""

from __future__ import annotations

import os

__version__ = "0.1.0"

# pydantic looks up third-party plugins through package metadata on first use (about 10 ms at every start);
# this tool uses none, and the chairside start must be instant.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
