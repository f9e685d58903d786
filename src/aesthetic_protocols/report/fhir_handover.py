"""FHIR items of an emergency that went on until handover: red flags withdrawn at once, the log, the handover.

The Questionnaire declares them (the withdrawn-flag items whenever the tree has red flags; the log and the
handover when an outcome has `until_handover`), so every QuestionnaireResponse item answers one of its items.
Anonymised, clock times are left out (as elsewhere in the export) and so is to whom the patient was handed.
"""

from __future__ import annotations

from typing import Any

from aesthetic_protocols.events import HandoverEvent, LoggedEvent, RedFlagEvent, decode_all
from aesthetic_protocols.recorded import Lines, withdrawn_flags
from aesthetic_protocols.tree import OutcomeNode, Protocol

FLAGS_ID = "walk.red-flags"
LOG_ID, HANDOVER_ID = "walk.handover-log", "walk.handover"


def flag_items() -> list[dict[str, Any]]:
    """The items a red flag's group adds: whether it was withdrawn at once, and when it was raised and withdrawn."""
    return [{"linkId": f"{FLAGS_ID}.withdrawn", "text": "Withdrawn at once (raised by mistake)", "type": "boolean"},
            {"linkId": f"{FLAGS_ID}.raised-at", "text": "Raised at", "type": "dateTime"},
            {"linkId": f"{FLAGS_ID}.withdrawn-at", "text": "Withdrawn at", "type": "dateTime"}]


def questionnaire_items(protocol: Protocol) -> list[dict[str, Any]]:
    """The log and the handover, when an outcome of the tree goes on until handover."""
    if not any(isinstance(n, OutcomeNode) and n.until_handover is not None for n in protocol.nodes.values()):
        return []
    return [{"linkId": LOG_ID, "text": "Logged until handover", "type": "group", "repeats": True, "item": [
                {"linkId": f"{LOG_ID}.what", "text": "What was done", "type": "string"},
                {"linkId": f"{LOG_ID}.at", "text": "When", "type": "dateTime"}]},
            {"linkId": HANDOVER_ID, "text": "Handed over", "type": "group", "item": [
                {"linkId": f"{HANDOVER_ID}.to", "text": "To whom", "type": "string"},
                {"linkId": f"{HANDOVER_ID}.at", "text": "When", "type": "dateTime"}]}]


def withdrawn_flag_groups(lines: Lines, system: str, anonymise: bool) -> list[dict[str, Any]]:
    """A group for each red flag withdrawn at once: the flag, withdrawn: true, and both times."""
    events = decode_all(lines)
    groups = []
    by_seq = {e.seq: e for e in events if isinstance(e.event, RedFlagEvent)}
    for seq, back in withdrawn_flags(events).items():
        flag = by_seq[seq]
        assert isinstance(flag.event, RedFlagEvent)
        items: list[dict[str, Any]] = [
            {"linkId": f"{FLAGS_ID}.flag", "text": "Red flag", "answer": [{"valueCoding": {
                "system": system, "code": flag.event.key, "display": flag.event.label}}]},
            {"linkId": f"{FLAGS_ID}.withdrawn", "text": "Withdrawn at once (raised by mistake)",
             "answer": [{"valueBoolean": True}]}]
        if not anonymise:
            items += [_when(f"{FLAGS_ID}.raised-at", "Raised at", flag.ts),
                      _when(f"{FLAGS_ID}.withdrawn-at", "Withdrawn at", back.ts)]
        groups.append({"linkId": FLAGS_ID, "text": "Red flags raised", "item": items})
    return groups


def handover_groups(lines: Lines, anonymise: bool) -> list[dict[str, Any]]:
    """Each entry logged until handover that stands (withdrawn ones are left out), then the handover."""
    events = decode_all(lines)
    withdrawn = {e.event.withdraws for e in events if isinstance(e.event, LoggedEvent)}
    groups = []
    for logged in events:
        event = logged.event
        if isinstance(event, LoggedEvent) and event.withdraws is None and logged.seq not in withdrawn:
            items: list[dict[str, Any]] = [{"linkId": f"{LOG_ID}.what", "text": "What was done",
                                            "answer": [{"valueString": event.label}]}]
            if not anonymise and event.time:
                items.append(_when(f"{LOG_ID}.at", "When", event.time))
            groups.append({"linkId": LOG_ID, "text": "Logged until handover", "item": items})
        elif isinstance(event, HandoverEvent):
            items = []
            if not anonymise and event.to is not None:
                items.append({"linkId": f"{HANDOVER_ID}.to", "text": "To whom",
                              "answer": [{"valueString": event.to}]})
            if not anonymise and event.time:
                items.append(_when(f"{HANDOVER_ID}.at", "When", event.time))
            if items:
                groups.append({"linkId": HANDOVER_ID, "text": "Handed over", "item": items})
    return groups


def _when(link: str, text: str, moment: str) -> dict[str, Any]:
    return {"linkId": link, "text": text, "answer": [{"valueDateTime": moment}]}
