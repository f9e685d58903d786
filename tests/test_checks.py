"""The rules beyond the schema: for every rule in `checks.RULES` one file where it fires (exact line, column
and message) and one valid variant where it does not; `_reach` visits each node once; and the `validate`
command's text, JSON and GitHub outputs, exit codes and `--strict`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aesthetic_protocols import checks
from aesthetic_protocols.checks import RULES, validate_path
from aesthetic_protocols.cli import app
from aesthetic_protocols.loader import parse_source
from aesthetic_protocols.model import Protocol

TODAY = date(2026, 6, 1)

BASE = """\
id: demo
title: Demo tree
version: 1.0.0
status: draft
review: {next_review: 2026-06-01}
references:
  R1: {citation: "Source one."}
derived:
  dose: {variable: areas, times: 2, unit: ml}
start: begin
red_flags:
  - {key: v, label: "Vision change", goto: emergency}
nodes:
  begin:
    kind: action
    title: Begin
    refs: [R1]
    next: ask
  ask:
    kind: question
    title: Blanching?
    options:
      - {key: y, label: "Yes", next: areas}
      - {key: n, label: "No", next: fine}
  areas:
    kind: input
    title: Areas
    variable: areas
    min: 1
    max: 4
    next: treat
  treat:
    kind: action
    title: "Give {dose} for {areas} area(s)"
    refs: [R1]
    requires: [areas]
    next: pause
  pause:
    kind: wait
    title: Wait
    minutes: 10
    refs: [R1]
    next: fine
  fine:
    kind: outcome
    title: Resolved
    severity: resolved
    refs: [R1]
  emergency:
    kind: outcome
    title: Emergency
    severity: emergency
    refs: [R1]
"""

# No red flags, one node: small enough to take away every outcome.
MINI = """\
id: demo
title: Mini
version: 1.0.0
status: draft
references:
  R1: {citation: "Source one."}
start: only
nodes:
  only:
    kind: action
    title: Only
    refs: [R1]
    next: only
"""

Edit = tuple[str, str]
ORPHAN = "  orphan:\n    kind: outcome\n    title: Orphan\n    severity: emergency\n    refs: [R1]\n"
LOOP = ("  loop-a:\n    kind: action\n    title: A\n    refs: [R1]\n    next: loop-b\n"
        "  loop-b:\n    kind: action\n    title: B\n    refs: [R1]\n    next: loop-a\n")
SECOND_FLAG = '  - {key: v, label: "Vision change", goto: emergency}\n'
RECORD = ("  rec:\n    kind: record\n    title: Record\n    fields:\n"
          "      - {id: product, label: Product, type: text}\n"
          "      - {id: volume, label: Volume, type: number, unit: mL, min: 0, max: 5, decimals: 1}\n"
          "      - {id: diluent, label: Diluent, type: choice,\n"
          "         choices: [{key: s, label: Saline}, {key: l, label: Lido}]}\n"
          "      - {id: given, label: Dose given, type: number, unit: U, default: dose}\n"
          "    next: ask\n")

# `dose` gets a table of 3 areas and a beyond_text of 33 characters, its longest rendering (the largest amount
# in the table, "6 ml", is 4).
BEYOND: Edit = ("dose: {variable: areas, times: 2, unit: ml}",
                'dose: {variable: areas, times: 2, unit: ml, max_input: 3, beyond_text: "beyond the table: get '
                'senior help"}')


def padded(length: int) -> str:
    """Headline text of exactly `length` characters."""
    return ("Inject along the whole territory and recheck " * 4)[:length]


def headline_on(node: str, template: str) -> Edit:
    """Give the base node `node` (an action with `refs: [R1]`) a headline."""
    title = {"begin": "Begin", "treat": '"Give {dose} for {areas} area(s)"', "pause": "Wait"}[node]
    return f"    title: {title}\n", f"    title: {title}\n    headline: \"{template}\"\n"


def edited(edits: Iterable[Edit], text: str = BASE) -> str:
    """Each edit replaces a fragment that occurs exactly once; `("", extra)` appends (inside `nodes:`)."""
    for old, new in edits:
        if not old:
            text += new
            continue
        assert text.count(old) == 1, f"fragment {old!r} must occur exactly once"
        text = text.replace(old, new)
    return text


def appended(extra: str) -> Edit:
    return "", extra


# A record node between `begin` and `ask`.
WITH_RECORD = [("    title: Begin\n    refs: [R1]\n    next: ask\n",
                "    title: Begin\n    refs: [R1]\n    next: rec\n"), appended(RECORD)]


def at(text: str, needle: str, key: str | None = None) -> str:
    """`line:col` of `key` inside the one occurrence of `needle` (default: its first non-blank character)."""
    assert text.count(needle) == 1, f"{needle!r} must occur exactly once"
    offset = needle.index(key) if key is not None else len(needle) - len(needle.lstrip())
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def run_checks(tmp_path: Path, text: str, name: str = "demo.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in validate_path(path, TODAY, name)]


@dataclass(frozen=True)
class Expect:
    needle: str
    key: str | None
    rule: str
    message: str


def expected(text: str, items: list[Expect], name: str = "demo.yaml") -> list[str]:
    return [f"{name}:{at(text, e.needle, e.key)}: {RULES[e.rule].severity}[{e.rule}]: {e.message}" for e in items]


UNREACHED = "node cannot be reached from start or a red flag"
LOOPS = "routes back to itself with no prompt between:"
NEEDS_EARLY = ("this wait can reach a resolved outcome: declare `early:` (where continuing before the time is up "
               "leads)")

# Facts and a decide node (docs/protocol-format.md, "Facts and decisions").
DECIDE = """\
id: demo
title: Demo tree
version: 1.0.0
status: draft
references:
  R1: {citation: "Source one."}
facts:
  pregnant: {type: boolean, label: "Pregnant"}
start: ask
nodes:
  ask:
    kind: question
    title: Pregnant?
    options:
      - {key: y, label: "Yes", next: rec, set: {pregnant: true}}
      - {key: n, label: "No", next: rec, set: {pregnant: false}}
  rec:
    kind: record
    title: Product
    fields:
      - {id: expiry, label: "Expiry", type: date}
    next: check
  check:
    kind: decide
    title: Check
    rules:
      - when: {fact: expiry, before: today}
        next: stop
        because: "The expiry date has passed."
      - when: {fact: pregnant, is: true}
        next: stop
        because: "Pregnant."
    otherwise: go
  stop:
    kind: outcome
    title: Stop
    severity: refer
    refs: [R1]
  go:
    kind: outcome
    title: Go
    severity: follow-up
    refs: [R1]
"""
AGAIN = """\
  again:
    kind: decide
    title: Again
    rules:
      - {when: {fact: pregnant, known: false}, next: go, because: "Not asked."}
    otherwise: check
"""
REC2 = """\
  rec2:
    kind: record
    title: Product again
    fields:
      - {id: expiry, label: "Expiry", type: date}
    next: check
"""


@dataclass(frozen=True)
class Case:
    edits: list[Edit]
    problems: list[Expect]
    name: str = "demo.yaml"
    base: str = BASE


# An `until_handover` block on the emergency outcome (the base file's last node).
def handover_block(keys: tuple[str, str], from_: str) -> Edit:
    return appended(f"""\
    until_handover:
      log:
        - {{key: {keys[0]}, label: "Adrenaline given"}}
        - {{key: {keys[1]}, label: "Oxygen started"}}
      timers:
        - {{label: "Repeat adrenaline", every_minutes: 5, from: {from_}}}
""")


POSITIVE: dict[str, Case] = {
    "unknown-start": Case([("start: begin", "start: nowhere")], [
        Expect("start: nowhere", None, "unknown-start", "start names no node"),
        *(Expect(f"\n  {nid}:", nid, "unreachable", UNREACHED)
          for nid in ("begin", "ask", "areas", "treat", "pause", "fine")),
    ]),
    "unknown-target": Case([('label: "No", next: fine}', 'label: "No", next: fin}')], [
        Expect('label: "No", next: fin}', "next", "unknown-target", "next names no node"),
    ]),
    "unknown-requirement": Case([("requires: [areas]", "requires: [area]")], [
        Expect("requires: [area]", "area", "unknown-requirement", "requires names no node"),
    ]),
    "duplicate-requirement": Case([("requires: [areas]", "requires: [areas, ask, areas]")], [
        Expect("ask, areas]", "areas", "duplicate-requirement", "this node is required twice"),
    ]),
    "unreachable": Case([appended(ORPHAN)], [Expect("  orphan:", "orphan", "unreachable", UNREACHED)]),
    "trap": Case([('label: "No", next: fine}', 'label: "No", next: loop-a}'), appended(LOOP)], [
        Expect("  loop-a:", "loop-a", "trap", "no outcome can be reached from this node"),
        Expect("  loop-b:", "loop-b", "trap", "no outcome can be reached from this node"),
    ]),
    "wait-no-exit": Case([("    refs: [R1]\n    next: fine\n", "    refs: [R1]\n    next: pause\n")], [
        Expect("  areas:", "areas", "trap", "no outcome can be reached from this node"),
        Expect("  treat:", "treat", "trap", "no outcome can be reached from this node"),
        Expect("  pause:", "pause", "wait-no-exit", "this wait lies on no path that reaches an outcome"),
    ]),
    "no-outcome": Case([], [Expect("nodes:", None, "no-outcome", "the protocol has no outcome node")], base=MINI),
    "duplicate-option-key": Case([('{key: n, label: "No"', '{key: y, label: "No"')], [
        Expect('{key: y, label: "No"', "key", "duplicate-option-key", "this option key is used twice in this question"),
    ]),
    "duplicate-red-flag-key": Case([(SECOND_FLAG, SECOND_FLAG + '  - {key: v, label: "Pain", goto: emergency}\n')], [
        Expect('{key: v, label: "Pain"', "key", "duplicate-red-flag-key", "this red flag key is used twice"),
    ]),
    "red-flag-key-collision": Case([("{key: v, label: \"Vision", "{key: n, label: \"Vision")], [
        Expect('{key: n, label: "Vision', "key", "red-flag-key-collision",
               "this red flag key is also an option or choice key; a keystroke must mean one thing"),
    ]),
    "red-flag-target": Case([(SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: ask}\n')], [
        Expect("goto: ask}", "goto", "red-flag-target", "red flag can lead to outcome 'fine' of severity resolved; "
               "only emergency outcomes are allowed (a flag that needs only a referral says `severity: refer`)"),
    ]),
    "resolved-needs-due-wait": Case([("    title: Begin\n    refs: [R1]\n", "    title: Begin\n    refs: [R1]\n"
                                                                      "    treatment: true\n")], [
        Expect("    refs: [R1]\n    next: fine\n", "next", "resolved-needs-due-wait", NEEDS_EARLY),
        Expect("severity: resolved", None, "resolved-needs-due-wait",
               "reachable from treatment step 'begin' without a wait's full time (its `next`) first"),
    ]),
    "unknown-fact": Case([("{fact: expiry, before", "{fact: expirey, before")], [
        Expect("{fact: expirey", "expirey", "unknown-fact",
               "names no fact: declare it under `facts:`, or use an input variable or a record field id"),
    ], base=DECIDE),
    "condition-type": Case([("{fact: expiry, before: today}", "{fact: expiry, lt: 3}")], [
        Expect("{fact: expiry, lt", "expiry", "condition-type", "`lt` compares numbers, and this fact is a date"),
    ], base=DECIDE),
    "set-fact": Case([("set: {pregnant: false}", "set: {pregnant: maybe}")], [
        Expect("set: {pregnant: maybe}", "maybe", "set-fact", "sets a value that is not a boolean of this fact"),
    ], base=DECIDE),
    "fact-unset": Case([('label: "No", next: rec,', 'label: "No", next: check,')], [
        Expect("{fact: expiry, before", "expiry", "fact-unset",
               "may be unset here: not set on the path ask -> check (set it on every path, or ask `known` first)"),
    ], base=DECIDE),
    "kit-negated": Case([("      - when: {fact: pregnant, is: true}\n",
                          "      - when: {any: [{fact: pregnant, is: true}, "
                          "{not: {kit: adrenaline, present: false}}]}\n")], [
        Expect("{kit: adrenaline", "adrenaline", "kit-negated",
               "a kit condition under `not` would read no clinic file as a kit in order; route the kit alarm to its "
               "own rule and let `otherwise` ask the practitioner"),
    ], base=DECIDE),
    "decide-loop": Case([("    otherwise: go\n", "    otherwise: again\n"), appended(AGAIN)], [
        Expect("  check:", "check", "decide-loop", f"{LOOPS} check -> again -> check"),
        Expect("  again:", "again", "decide-loop", f"{LOOPS} again -> check -> again"),
    ], base=DECIDE),
    "fact-field-unique": Case([('label: "Yes", next: rec,', 'label: "Yes", next: rec2,'), appended(REC2)], [
        Expect("{fact: expiry, before", "expiry", "fact-field-unique",
               "this record field id is used by more than one field; a fact read by a decide is one field"),
    ], base=DECIDE),
    "fact-conflict": Case([("  pregnant: {type: boolean", "  expiry: {type: text}\n  pregnant: {type: boolean")], [
        Expect("{id: expiry", "id", "fact-conflict", "this name is already a text fact; one name, one type"),
        Expect("{fact: expiry, before", "expiry", "condition-type", "`before` compares dates, and this fact is a text"),
    ], base=DECIDE),
    "record-field-now": Case([("type: date}", "type: date, max_ahead_minutes: 5}")], [
        Expect("max_ahead_minutes: 5", None, "record-field-now", "max_ahead_minutes bounds a time field"),
    ], base=DECIDE),
    "record-field-teaching": Case([("type: date}", "type: date, teaching: true}")], [
        Expect("teaching: true", None, "record-field-teaching",
               "only a text, number or choice field can be kept in an anonymised record"),
    ], base=DECIDE),
    "unknown-reference": Case([("    title: Begin\n    refs: [R1]", "    title: Begin\n    refs: [R9]")], [
        Expect("refs: [R9]", "R9", "unknown-reference", "this reference is not defined under references"),
    ]),
    "missing-citation": Case([("    minutes: 10\n    refs: [R1]\n", "    minutes: 10\n")], [
        Expect("  pause:", "pause", "missing-citation", "wait node cites no reference (add refs:)"),
    ]),
    "requires-before": Case([('label: "No", next: fine}', 'label: "No", next: treat}')], [
        Expect("requires: [areas]", "areas", "requires-before", "can be reached without passing 'areas' first"),
    ]),
    "unknown-variable": Case([("{areas} area(s)", "{area} area(s)")], [
        Expect('title: "Give {dose} for {area}', "title", "unknown-variable",
               "a {name} here is neither an input variable nor a derived value"),
    ]),
    "unknown-contact": Case([("    title: Begin\n", "    title: Begin\n    text: \"Call {contact:eye-unit}\"\n")], [
        Expect("text: \"Call {contact:eye-unit}", "text", "unknown-contact",
               "a {contact:KEY} here has no default words under contacts"),
    ]),
    "contact-placement": Case([("start: begin", "contacts: {eye-unit: \"the eye unit\"}\nstart: begin"),
                               ('{key: y, label: "Yes"', '{key: y, label: "Yes, {contact:eye-unit}"')], [
        Expect('label: "Yes, {contact', "label", "contact-placement", "a {contact:KEY} is filled in a step's "
               "title, headline, text and steps only; an option or field label shows it as written"),
    ]),
    "input-bounds": Case([("    min: 1\n", "    min: 5\n")], [
        Expect("min: 5", None, "input-bounds", "min is above max"),
    ]),
    "id-mismatch": Case([], [
        Expect("id: demo", None, "id-mismatch", "id differs from the file name (it must equal the name without .yaml)"),
    ], name="other.yaml"),
    "reserved-id": Case([("id: demo", "id: list")], [
        Expect("id: list", None, "reserved-id", "id is a subcommand name; `protocol ID` could not run it"),
    ], name="list.yaml"),
    "approved-without-approver": Case([("status: draft", "status: approved")], [
        Expect("status: approved", None, "approved-without-approver",
               "approved protocols name review.approved_by and approved_on"),
    ]),
    "review-overdue": Case([("next_review: 2026-06-01", "next_review: 2026-05-31")], [
        Expect("next_review: 2026-05-31", None, "review-overdue", "review date has passed; review the protocol"),
    ]),
    "record-field-duplicate": Case([*WITH_RECORD, ("{id: volume", "{id: product")], [
        Expect("{id: product, label: Volume", "id", "record-field-duplicate",
               "this field id is used twice in this record node"),
    ]),
    "record-field-unit": Case([*WITH_RECORD, ("unit: mL, ", "")], [
        Expect("{id: volume", None, "record-field-unit", "a number field needs a unit (mL, U, mg...)"),
    ]),
    "record-field-bounds": Case([*WITH_RECORD, ("min: 0, max: 5", "min: 6, max: 5")], [
        Expect("min: 6, max: 5", "min", "record-field-bounds", "min is above max"),
    ]),
    "record-field-choices": Case([*WITH_RECORD, ("{key: l, label: Lido}", "{key: s, label: Lido}")], [
        Expect("choices: [{key: s, label: Saline}", "choices", "record-field-choices", "two choices share a key"),
    ]),
    "record-field-default": Case([*WITH_RECORD, ("default: dose", "default: dos")], [
        Expect("default: dos}", "default", "record-field-default",
               "default names neither an input variable nor a derived value"),
    ]),
    # 88 characters + the 33-character beyond_text = 121.
    "headline-length": Case([BEYOND, headline_on("treat", padded(88) + "{dose}")], [
        Expect("    headline:", "headline", "headline-length",
               "can render as 121 characters (at most 120) with each {name} at its longest (largest value, "
               "beyond_text, or not yet entered): shorten it"),
    ]),
    "handover-log-key": Case([handover_block(("d", "v"), "d")], [
        Expect("{key: v, label: \"Oxygen", "key", "handover-log-key", "log key is also a red flag's key"),
    ]),
    "handover-timer-from": Case([handover_block(("d", "o"), "x")], [
        Expect("from: x}", "from", "handover-timer-from", "timer's `from` names none of this block's log keys"),
    ]),
    "handover-missing": Case([appended('    steps: ["Give adrenaline", "Repeat the adrenaline after 5 minutes"]\n')], [
        Expect('"Repeat the adrenaline', None, "handover-missing",
               "this emergency goes on (repeat, until transfer) but the walk would end here: add `until_handover` "
               "with its log keys and timers"),
    ]),
}

NEGATIVE: dict[str, Case] = {
    "unknown-start": Case([("start: begin", "start: first"), ("  begin:\n", "  first:\n")], []),
    "unknown-target": Case([('label: "No", next: fine}', 'label: "No", next: emergency}')], []),
    "unknown-requirement": Case([("requires: [areas]", "requires: [begin]")], []),
    "duplicate-requirement": Case([("requires: [areas]", "requires: [areas, ask]")], []),
    # A node reached only through a red flag is reachable: the flag is offered at every prompt.
    "unreachable": Case([(SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: orphan}\n'),
                         appended(ORPHAN)], []),
    # The same loop with a way out.
    "trap": Case([('label: "No", next: fine}', 'label: "No", next: loop-a}'),
                  appended(LOOP.replace("next: loop-a", "next: fine"))], []),
    # A wait inside a loop that can still leave it.
    "wait-no-exit": Case([("    refs: [R1]\n    next: fine\n", "    refs: [R1]\n    next: ask\n")], []),
    "no-outcome": Case([("    refs: [R1]\n    next: only\n", "    refs: [R1]\n    next: done\n"),
                        appended("  done:\n    kind: outcome\n    title: Done\n    severity: resolved\n"
                                 "    refs: [R1]\n")], [], base=MINI),
    "duplicate-option-key": Case([('{key: n, label: "No"', '{key: m, label: "No"')], []),
    "duplicate-red-flag-key": Case([(SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: emergency}\n')],
                                   []),
    "red-flag-key-collision": Case([("{key: v, label: \"Vision", "{key: z, label: \"Vision")], []),
    # A red flag that needs only a referral, into a question whose every answer ends in refer or emergency.
    "red-flag-target": Case([
        (SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: triage, severity: refer}\n'),
        appended("  triage:\n    kind: question\n    title: How bad?\n    options:\n"
                 "      - {key: a, label: \"Severe\", next: emergency}\n"
                 "      - {key: b, label: \"Moderate\", next: refer}\n"
                 "  refer:\n    kind: outcome\n    title: Refer\n    severity: refer\n    refs: [R1]\n"),
    ], []),
    "unknown-reference": Case([('  R1: {citation: "Source one."}\n',
                                '  R1: {citation: "Source one."}\n  R-2.b: {citation: "Two.", url: "https://x.invalid"}\n'),
                               ("    title: Begin\n    refs: [R1]", "    title: Begin\n    refs: [R1, R-2.b]"),
                               ('label: "No", next: fine}', 'label: "No", next: fine, refs: [R-2.b]}')], []),
    # Questions and inputs need no citation (the base has an uncited question and input).
    "missing-citation": Case([("    kind: question\n    title: Blanching?\n",
                               "    kind: question\n    title: Blanching?\n    text: No refs needed here.\n")], []),
    # The treatment step is followed by the wait before the resolved outcome.
    "resolved-needs-due-wait": Case([("    requires: [areas]\n", "    requires: [areas]\n    treatment: true\n"),
                                     ("    refs: [R1]\n    next: fine\n",
                                      "    refs: [R1]\n    next: fine\n    early: areas\n")],
                                    []),
    "unknown-fact": Case([], [], base=DECIDE),
    "condition-type": Case([("{fact: expiry, before: today}", "{fact: expiry, after: {days_ago: 30}}")], [],
                           base=DECIDE),
    "set-fact": Case([], [], base=DECIDE),
    # The fact is read only after the rule asks whether it is known.
    "fact-unset": Case([('label: "No", next: rec,', 'label: "No", next: check,'),
                        ("{fact: expiry, before: today}",
                         "{all: [{fact: expiry, known: true}, {fact: expiry, before: today}]}")],
                       [], base=DECIDE),
    # The kit alarms as their own rules, not negated.
    "kit-negated": Case([("      - when: {fact: pregnant, is: true}\n",
                          "      - when: {any: [{kit: hyaluronidase, expired: true}, "
                          "{kit: adrenaline, present: false}]}\n"
                          "        next: stop\n        because: \"Kit.\"\n"
                          "      - when: {fact: pregnant, is: true}\n")], [], base=DECIDE),
    "decide-loop": Case([], [], base=DECIDE),
    "fact-field-unique": Case([], [], base=DECIDE),
    "fact-conflict": Case([("  pregnant: {type: boolean", "  expiry: {type: date}\n  pregnant: {type: boolean")], [],
                          base=DECIDE),
    "record-field-now": Case([("type: date}", "type: date, not_after: today, not_before: {days_ago: 90}}")], [],
                             base=DECIDE),
    "record-field-teaching": Case([("type: date}",
                                    "type: date}\n      - {id: site, label: Site, type: text, teaching: true}")],
                                  [], base=DECIDE),
    # Every path to `treat` passes `ask`.
    "requires-before": Case([("requires: [areas]", "requires: [ask, areas]")], []),
    "unknown-variable": Case([("    title: Wait\n", "    title: Wait\n    text: \"{dose} for {areas}; {x\"\n")], []),
    # A contact with default words; `{contact:...}` of another form is plain text.
    "unknown-contact": Case([("start: begin", "contacts: {eye-unit: \"the eye unit\"}\nstart: begin"),
                             ("    title: Begin\n", "    title: Begin\n    text: \"Call {contact:eye-unit} or "
                                                   "{contact:Eye}\"\n")], []),
    # In a step's steps, a contact is filled.
    "contact-placement": Case([("start: begin", "contacts: {eye-unit: \"the eye unit\"}\nstart: begin"),
                               ("    title: Begin\n", "    title: Begin\n    steps: [\"Call {contact:eye-unit}\"]\n")],
                              []),
    "input-bounds": Case([("    min: 1\n", "    min: 4\n")], []),  # min == max is allowed
    "id-mismatch": Case([("id: demo", "id: other")], [], name="other.yaml"),
    "reserved-id": Case([("id: demo", "id: listing")], [], name="listing.yaml"),
    "approved-without-approver": Case([("status: draft", "status: approved"),
                                       ("review: {", "review: {approved_by: Dr A, approved_on: 2026-01-01, ")], []),
    "review-overdue": Case([], []),  # next_review is today: due, not overdue
    "record-field-duplicate": Case(WITH_RECORD, []),
    "record-field-unit": Case(WITH_RECORD, []),
    "record-field-bounds": Case([*WITH_RECORD, ("min: 0, max: 5", "min: 5, max: 5")], []),  # min == max allowed
    "record-field-choices": Case(WITH_RECORD, []),
    # An input variable is a default too.
    "record-field-default": Case([*WITH_RECORD, ("default: dose", "default: areas")], []),
    # Exactly 120 with the beyond_text; and after the input `{areas}` is one digit, not "(not yet entered)".
    "headline-length": Case([BEYOND, headline_on("treat", padded(87) + "{dose}"),
                             headline_on("pause", padded(110) + "{areas}")], []),
    "handover-log-key": Case([handover_block(("d", "o"), "d")], []),
    "handover-timer-from": Case([handover_block(("d", "o"), "o")], []),
    # The same steps with a handover block (timers and log) are what the rule asks for.
    "handover-missing": Case([appended('    steps: ["Give adrenaline", "Repeat the adrenaline after 5 minutes"]\n'),
                              handover_block(("d", "o"), "d")], []),
}

SCENARIO_RULES = {"scenario-protocol"}


def test_every_rule_has_a_positive_and_a_negative_case() -> None:
    assert set(POSITIVE) | SCENARIO_RULES == set(RULES)
    assert set(NEGATIVE) | SCENARIO_RULES == set(RULES)


def test_the_base_protocol_is_clean(tmp_path: Path) -> None:
    assert run_checks(tmp_path, BASE) == []


@pytest.mark.parametrize("rule", sorted(POSITIVE))
def test_rule_fires_at_its_line(rule: str, tmp_path: Path) -> None:
    case = POSITIVE[rule]
    text = edited(case.edits, case.base)
    problems = run_checks(tmp_path, text, case.name)
    assert problems == expected(text, case.problems, case.name)
    assert any(f"[{rule}]" in p for p in problems)


@pytest.mark.parametrize("rule", sorted(NEGATIVE))
def test_valid_variant_does_not_fire(rule: str, tmp_path: Path) -> None:
    case = NEGATIVE[rule]
    assert run_checks(tmp_path, edited(case.edits, case.base), case.name) == []


def test_scenario_protocol_rule(tmp_path: Path) -> None:
    suite = "protocol: {name}\nscenarios:\n  - name: short\n    answers: [n]\n    outcome: fine\n"
    assert run_checks(tmp_path, suite.format(name="demo"), "demo.scenarios.yaml") == []
    assert run_checks(tmp_path, suite.format(name="other"), "demo.scenarios.yaml") == [
        "demo.scenarios.yaml:1:1: error[scenario-protocol]: names another protocol than the one beside it (demo.yaml)"
    ]


# --- more exact cases of some rules ----------------------------------------------------------------------


def test_red_flag_target_names_the_first_offending_outcome_in_file_order(tmp_path: Path) -> None:
    # The message must not depend on set iteration order (hash seeds): several outcomes are reachable.
    names = ["o-h", "o-c", "o-f", "o-a", "o-g", "o-b", "o-e", "o-d"]
    options = "".join(f'      - {{key: {chr(97 + i)}, label: "{n}", next: {n}}}\n' for i, n in enumerate(names))
    outcomes = "".join(f"  {n}:\n    kind: outcome\n    title: {n}\n    severity: resolved\n    refs: [R1]\n"
                       for n in names)
    text = edited([(SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: many}\n'),
                   appended("  many:\n    kind: question\n    title: Many\n    options:\n" + options + outcomes),
                   ('label: "No", next: fine}', 'label: "No", next: many}')])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("goto: many}", "goto", "red-flag-target",
               "red flag can lead to outcome 'o-h' of severity resolved; only emergency outcomes are allowed (a flag "
               "that needs only a referral says `severity: refer`)"),
    ])


def test_a_red_flag_into_a_refer_outcome_needs_severity_refer(tmp_path: Path) -> None:
    text = edited([("severity: emergency", "severity: refer")])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("goto: emergency}", "goto", "red-flag-target",
               "red flag can lead to outcome 'emergency' of severity refer; only emergency outcomes are allowed "
               "(a flag that needs only a referral says `severity: refer`)"),
    ])
    text = edited([("severity: emergency", "severity: refer"),
                   ("goto: emergency}", "goto: emergency, severity: refer}")])
    assert run_checks(tmp_path, text) == []


def test_a_refer_flag_still_may_not_lead_to_a_resolved_outcome(tmp_path: Path) -> None:
    text = edited([(SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: ask, severity: refer}\n')])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("goto: ask,", "goto", "red-flag-target",
               "red flag can lead to outcome 'fine' of severity resolved; "
               "only refer or emergency outcomes are allowed"),
    ])


def test_a_red_flag_key_may_not_be_a_record_choice_key(tmp_path: Path) -> None:
    text = edited([*WITH_RECORD, ('{key: v, label: "Vision', '{key: s, label: "Vision')])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect('{key: s, label: "Vision', "key", "red-flag-key-collision",
               "this red flag key is also an option or choice key; a keystroke must mean one thing"),
    ])


def test_resolved_needs_due_wait_follows_loops_and_record_nodes(tmp_path: Path) -> None:
    # After the wait the walk may loop back to treat; a treatment on a record node counts the same.
    text = edited([*WITH_RECORD, ("    title: Record\n", "    title: Record\n    treatment: true\n")])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("    refs: [R1]\n    next: fine\n", "next", "resolved-needs-due-wait", NEEDS_EARLY),
        Expect("severity: resolved", None, "resolved-needs-due-wait",
               "reachable from treatment step 'rec' without a wait's full time (its `next`) first"),
    ])
    looped = edited([("    requires: [areas]\n", "    requires: [areas]\n    treatment: true\n"),
                     ("    refs: [R1]\n    next: fine\n", "    refs: [R1]\n    next: ask\n    early: areas\n")])
    assert run_checks(tmp_path, looped) == []


def test_headline_length_counts_not_yet_entered_where_the_input_can_still_come_later(tmp_path: Path) -> None:
    # `begin` comes before the areas input, so `{areas}` there can show "(not yet entered)": 110 + 17.
    text = edited([headline_on("begin", padded(110) + "{areas}")])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("    headline:", "headline", "headline-length",
               "can render as 127 characters (at most 120) with each {name} at its longest (largest value, "
               "beyond_text, or not yet entered): shorten it"),
    ])


def test_headline_length_without_a_table_limit_uses_the_largest_input(tmp_path: Path) -> None:
    # No max_input: the largest amount is 4 areas x 2 = "8 ml", so 114 + 4 = 118 passes (the default
    # beyond_text, 44 characters, is never shown).
    assert run_checks(tmp_path, edited([headline_on("treat", padded(114) + "{dose}")])) == []


def test_derived_value_reading_no_input(tmp_path: Path) -> None:
    text = edited([("{variable: areas, times", "{variable: area, times")])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("{variable: area, times", "variable", "unknown-variable", "derived value reads no input variable"),
    ])


def test_unknown_reference_in_an_option(tmp_path: Path) -> None:
    text = edited([('label: "No", next: fine}', 'label: "No", next: fine, refs: [R1, NOPE]}')])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("refs: [R1, NOPE]", "NOPE", "unknown-reference", "this reference is not defined under references"),
    ])


def test_red_flag_goto_naming_no_node(tmp_path: Path) -> None:
    text = edited([(SECOND_FLAG, SECOND_FLAG + '  - {key: w, label: "Pain", goto: nowhere}\n')])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("goto: nowhere}", "goto", "unknown-target", "goto names no node"),
    ])


@pytest.mark.parametrize("review", ["{approved_by: Dr A}", "{approved_on: 2026-01-01}"])
def test_approved_needs_both_approver_and_date(review: str, tmp_path: Path) -> None:
    text = edited([("status: draft", "status: approved"), ("review: {next_review: 2026-06-01}", f"review: {review}")])
    assert run_checks(tmp_path, text) == expected(text, [
        Expect("status: approved", None, "approved-without-approver",
               "approved protocols name review.approved_by and approved_on"),
    ])


def test_review_overdue_depends_only_on_the_injected_today(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(BASE)
    assert validate_path(path, date(2026, 6, 1), "demo.yaml") == []
    (problem,) = validate_path(path, date(2026, 6, 2), "demo.yaml")
    assert str(problem) == "demo.yaml:5:10: warning[review-overdue]: review date has passed; review the protocol"


# --- `_reach` is linear ----------------------------------------------------------------------------------


def chain(n: int) -> str:
    """n questions in a chain, each also looping back to the first: a naive search would revisit."""
    lines = ["id: chain", "title: Chain", "version: 1.0.0", "status: draft",
             "references:", '  R1: {citation: "One."}', "start: q0", "nodes:"]
    for i in range(n):
        follow = f"q{i + 1}" if i + 1 < n else "end"
        lines += [f"  q{i}:", "    kind: question", f"    title: Q{i}", "    options:",
                  f"      - {{key: a, label: Onward, next: {follow}}}", "      - {key: b, label: Back, next: q0}"]
    lines += ["  end:", "    kind: outcome", "    title: End", "    severity: resolved", "    refs: [R1]"]
    return "\n".join(lines) + "\n"


def test_reach_expands_each_node_once_on_a_2000_node_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 2000
    path = tmp_path / "chain.yaml"
    path.write_text(chain(n))
    source = parse_source(path, "chain.yaml")
    protocol = Protocol.model_validate(source.data)
    original = checks._reach
    expansions: list[Counter[str]] = []

    def counting(starts: Iterable[str], edges: Callable[[str], Iterable[str]], blocked: str | None = None) -> set[str]:
        seen: Counter[str] = Counter()
        expansions.append(seen)

        def counted(node_id: str) -> Iterable[str]:
            seen[node_id] += 1
            return edges(node_id)

        return original(starts, counted, blocked)

    monkeypatch.setattr(checks, "_reach", counting)
    assert checks.check(protocol, source, TODAY, "chain") == []
    assert expansions, "check must search the graph through _reach"
    for seen in expansions:
        assert max(seen.values()) == 1  # every node expanded at most once per search
    total = sum(sum(seen.values()) for seen in expansions)
    assert n + 1 <= total <= 3 * (n + 1)  # a constant number of searches, each O(n)


# --- the validate command ---------------------------------------------------------------------------------


class FixedDate(date):
    @classmethod
    def today(cls) -> FixedDate:
        return cls(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads `date.today()`; every CLI test here runs on TODAY."""
    monkeypatch.setattr("aesthetic_protocols.cli.date", FixedDate)


def put(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def validate(*args: str) -> Any:
    return CliRunner().invoke(app, ["validate", *args])


OVERDUE = edited([("next_review: 2026-06-01", "next_review: 2026-05-31")])
BAD_BOUNDS = edited([("    min: 1\n", "    min: 9\n")])


def test_validate_clean_file_text_format(tmp_path: Path) -> None:
    path = put(tmp_path, "demo.yaml", BASE)
    result = validate(str(path))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "1 file(s) checked: 0 error(s), 0 warning(s)\n"


def test_validate_text_lines_and_stderr_summary(tmp_path: Path) -> None:
    path = put(tmp_path, "demo.yaml", BAD_BOUNDS)
    result = validate(str(path))
    assert result.exit_code == 1
    assert result.stdout == f"{path}:29:5: error[input-bounds]: min is above max\n"
    assert result.stderr == "1 file(s) checked: 1 error(s), 0 warning(s)\n"
    assert "Traceback" not in result.output


def test_validate_checks_every_file_before_deciding(tmp_path: Path) -> None:
    first = put(tmp_path, "a/demo.yaml", BAD_BOUNDS)
    good = put(tmp_path, "b/demo.yaml", BASE)
    second = put(tmp_path, "c/other.yaml", BASE)
    result = validate(str(first), str(good), str(second))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{first}:29:5: error[input-bounds]: min is above max",
        f"{second}:1:1: error[id-mismatch]: id differs from the file name (it must equal the name without .yaml)",
    ]
    assert result.stderr == "3 file(s) checked: 2 error(s), 0 warning(s)\n"


def test_validate_a_folder_checks_its_protocol_files(tmp_path: Path) -> None:
    folder = tmp_path / "trees"
    put(folder, "demo.yaml", BASE)
    bad = put(folder / "sub", "demo.yaml", BAD_BOUNDS)
    put(folder, "notes.txt", "not a protocol")
    result = validate(str(folder))
    assert result.exit_code == 1
    assert result.stdout == f"{bad}:29:5: error[input-bounds]: min is above max\n"
    assert result.stderr == "2 file(s) checked: 1 error(s), 0 warning(s)\n"


def test_validate_json_format(tmp_path: Path) -> None:
    bad = put(tmp_path, "demo.yaml", BAD_BOUNDS)
    result = validate("--format", "json", str(bad))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report == {
        "files": 1,
        "errors": 1,
        "warnings": 0,
        "problems": [{"path": str(bad), "line": 29, "column": 5, "severity": "error", "rule": "input-bounds",
                      "message": "min is above max"}],
    }
    assert list(report) == ["files", "errors", "warnings", "problems"]
    assert list(report["problems"][0]) == ["path", "line", "column", "severity", "rule", "message"]


def test_validate_json_format_clean(tmp_path: Path) -> None:
    result = validate("--format", "json", str(put(tmp_path, "demo.yaml", BASE)))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"files": 1, "errors": 0, "warnings": 0, "problems": []}


def test_validate_github_format_escapes_properties(tmp_path: Path) -> None:
    folder = tmp_path / "a,b"
    bad = put(folder, "demo.yaml", BAD_BOUNDS)
    warn = put(folder, "other.yaml", OVERDUE.replace("id: demo", "id: other"))
    result = validate("--format", "github", str(bad), str(warn))
    assert result.exit_code == 1
    escaped = str(folder).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
    assert result.stdout.splitlines() == [
        f"::error file={escaped}/demo.yaml,line=29,col=5,title=input-bounds::min is above max",
        f"::warning file={escaped}/other.yaml,line=5,col=10,title=review-overdue::"
        "review date has passed; review the protocol",
    ]


def test_validate_github_format_keeps_colons_in_the_message(tmp_path: Path) -> None:
    path = put(tmp_path, "demo.yaml", edited([("title: Begin", "title: no")]))
    result = validate("--format", "github", str(path))
    assert result.exit_code == 1
    assert result.stdout == (
        f"::error file={path},line=16,col=5,title=schema::nodes.begin.title: must be text "
        "(quote it: YAML reads yes/no/on/off as booleans and 1.10 as a number)\n"
    )


def test_validate_warnings_pass_unless_strict(tmp_path: Path) -> None:
    path = put(tmp_path, "demo.yaml", OVERDUE)
    line = f"{path}:5:10: warning[review-overdue]: review date has passed; review the protocol\n"
    plain = validate(str(path))
    assert plain.exit_code == 0
    assert plain.stdout == line
    assert plain.stderr == "1 file(s) checked: 0 error(s), 1 warning(s)\n"
    strict = validate("--strict", str(path))
    assert strict.exit_code == 1
    assert strict.stdout == line
    clean = validate("--strict", str(put(tmp_path / "clean", "demo.yaml", BASE)))
    assert clean.exit_code == 0


def test_validate_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    good = put(tmp_path, "demo.yaml", BASE)
    missing = tmp_path / "nope.yaml"
    result = validate(str(good), str(missing))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"protocol: no such file or folder: {missing}\n"
    assert len(result.output.splitlines()) == 1


def test_the_rules_never_import_the_scenario_runner() -> None:
    # One direction only: the runner uses the rules (load_valid, validate_path); the rules read scenario
    # files through their model in `model`. A function-local import back would hide a circle.
    import ast

    tree = ast.parse(Path(checks.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "aesthetic_protocols.scenarios" not in imported


# --- issue 16: the cost of a hostile file is bounded ------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 12), data=st.data())
def test_dominators_answer_as_one_search_per_blocked_node_would(size: int, data: st.DataObject) -> None:
    names = [f"n{i}" for i in range(size)]
    graph = {name: data.draw(st.lists(st.sampled_from(names), max_size=3), label=name) for name in names}
    entries = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3), label="entries")
    dominators = checks.Dominators(entries, graph.__getitem__)
    for required in names:
        reached = checks._reach(entries, graph.__getitem__, blocked=required)
        for name in names:
            assert dominators.dominates(required, name) is (name not in reached), (required, name)


def test_problems_are_capped_at_100_per_file_with_the_count_of_the_rest(tmp_path: Path) -> None:
    steps = ", ".join(str(n) for n in range(1000, 1250))
    path = tmp_path / "demo.yaml"
    path.write_text(BASE.replace("    title: Begin\n", f"    title: Begin\n    steps: [{steps}]\n"))
    problems = validate_path(path, TODAY, "demo.yaml")
    assert len(problems) == 101 and {p.rule for p in problems} == {"schema"}
    assert problems[-1].message == "150 more problem(s) not shown: fix the first 100 and validate again"
    many = BASE + "".join(f"  orphan-{i}:\n    kind: outcome\n    title: Orphan\n    severity: resolved\n"
                          "    refs: [R1]\n" for i in range(150))
    path.write_text(many)
    problems = validate_path(path, TODAY, "demo.yaml")
    assert len(problems) == 101 and problems[-1].rule == "unreachable"
    assert problems[-1].message == "50 more problem(s) not shown: fix the first 100 and validate again"


def test_a_long_list_of_unknown_names_or_repeats_is_one_line_or_capped(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(BASE.replace("requires: [areas]", "requires: [areas" + ", areas" * 300 + "]"))
    (problem,) = validate_path(path, TODAY, "demo.yaml")
    assert problem.message == "this node is required twice (300 repeats in this list)"
    path.write_text(BASE.replace("requires: [areas]", "requires: [areas" + ", nowhere" * 300 + "]"))
    problems = validate_path(path, TODAY, "demo.yaml")
    assert len(problems) == 101 and {p.rule for p in problems} == {"unknown-requirement"}
    assert problems[-1].message == "200 more problem(s) not shown: fix the first 100 and validate again"


def test_a_file_of_many_flags_to_one_target_searches_the_graph_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    searches: list[object] = []
    reach = checks._reach
    monkeypatch.setattr(checks, "_reach", lambda *a, **k: searches.append(a) or reach(*a, **k))
    flags = "".join(f'  - {{key: {key}, label: "Flag", goto: emergency}}\n' for key in "wxy" * 30)
    path = tmp_path / "demo.yaml"
    path.write_text(BASE.replace(SECOND_FLAG, SECOND_FLAG + flags))
    validate_path(path, TODAY, "demo.yaml")
    assert sum(1 for args in searches if list(args[0]) == ["emergency"]) == 1


def test_red_flags_are_one_hub_in_the_fact_graph_not_copied_to_every_prompt(tmp_path: Path) -> None:
    # 21,000 red flags on a chain of 6,000 prompts were 126 million edges (24 GB; the validation was killed).
    # The graph stays linear: each node's own edges, one edge from each prompt to the hub, one per distinct target.
    from aesthetic_protocols.fact_checks import FLAG_HUB, walk_edges

    chain = "".join(f"  n{i}: {{kind: action, title: T, refs: [R], next: n{i + 1}}}\n" for i in range(300))
    text = ("id: chain\ntitle: Chain\nversion: 1.0.0\nstatus: draft\nstart: n0\n"
            "references:\n  R: {citation: Example.}\nnodes:\n" + chain
            + "  n300: {kind: outcome, title: Done, severity: emergency, refs: [R]}\nred_flags:\n"
            + "".join(f"  - {{key: z, label: V, goto: n{i % 2}}}\n" for i in range(500)))
    path = tmp_path / "chain.yaml"
    path.write_text(text)
    protocol = Protocol.model_validate(parse_source(path).data)
    graph = walk_edges(protocol)
    assert sum(len(edges) for edges in graph.values()) == 300 + 300 + 2  # next edges, hub edges, 2 targets
    assert graph[FLAG_HUB] == [("n0", frozenset()), ("n1", frozenset())]
    assert set(Counter(p.split(": ")[1] for p in run_checks(tmp_path, text, "chain.yaml"))) == \
        {"error[duplicate-red-flag-key]"}
