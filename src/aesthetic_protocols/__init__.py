"""aesthetic-protocols: walk injectable-complication protocols at the chair, with a tamper-evident log."""

from __future__ import annotations

import os

__version__ = "0.2.0"

# The CLI's subcommands. A protocol may not take one of these ids, or `protocol ID` could not run it
# (rule `reserved-id`); kept here so the CLI can route without importing the rules.
SUBCOMMANDS = frozenset({"abandon", "card", "clinic", "diff", "drill", "graph", "help", "list", "log", "resume", "run",
                         "scenarios", "schema", "show", "validate", "version"})

# pydantic looks up third-party plugins through package metadata on first use (about 10 ms at every start);
# this tool uses none, and the chairside start must be instant.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
