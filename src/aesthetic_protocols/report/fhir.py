"""A session as a FHIR R4 Bundle an EHR can take in: the Questionnaire of the exact protocol version, the
QuestionnaireResponse of the walk, and a Provenance holding the protocol's sha256 and the log's head hash.

Plain dicts, written to the R4 structures (Questionnaire, QuestionnaireResponse, Provenance, Bundle);
the tests validate them with the R4 models of `fhir.resources`, which is not needed at run time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aesthetic_protocols import __version__
from aesthetic_protocols.logged_protocol import LoggedProtocol
from aesthetic_protocols.model import (
    AnyNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    RecordField,
    RecordNode,
    WaitNode,
    successors,
)
from aesthetic_protocols.recorded import ending, outcome_event, standing
from aesthetic_protocols.report import fhir_handover
from aesthetic_protocols.report.answers import DATE_RE, TIME_RE, record_field, said, withheld
from aesthetic_protocols.report.review import node_order

# `.invalid` is reserved (RFC 2606): these canonical URLs name, they are never fetched.
BASE = "https://aesthetic-protocols.invalid/fhir"
SHA256_SYSTEM = f"{BASE}/sid/protocol-file-sha256"
LOG_HEAD_SYSTEM = f"{BASE}/sid/session-log-head"
SESSION_SYSTEM = f"{BASE}/sid/session"
PATIENT_SYSTEM = f"{BASE}/sid/patient-reference"
UNIT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
MIN_EXTENSION = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_EXTENSION = "http://hl7.org/fhir/StructureDefinition/maxValue"
ABSENT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# The walk's own items: a dot never occurs in a node id (a slug), so these never clash with a step's linkId.
FLAGS_ID, NOTES_ID, OUTCOME_ID = "walk.red-flags", "walk.notes", "walk.outcome"
_STATUS = {"draft": "draft", "approved": "active", "retired": "retired"}
# A record field's type -> the Questionnaire item type and the answer's value[x].
_FIELD_TYPES = {"text": ("string", "valueString"), "choice": ("choice", "valueCoding"),
                "time": ("time", "valueTime"), "date": ("date", "valueDate")}


def canonical_url(protocol_id: str) -> str:
    """The Questionnaire's canonical URL for a protocol id (the version goes beside it)."""
    return f"{BASE}/Questionnaire/{protocol_id}"


def _options_system(protocol_id: str, node_id: str) -> str:
    return f"{canonical_url(protocol_id)}/options/{node_id}"


def _cyclic(protocol: Protocol) -> set[str]:
    """Nodes a walk can reach again from themselves (their items repeat)."""
    found: set[str] = set()
    for start in protocol.nodes:
        stack, seen = list(successors(protocol.nodes[start])), set()
        while stack:
            nid = stack.pop()
            if nid == start:
                found.add(start)
                break
            if nid in seen or nid not in protocol.nodes:
                continue
            seen.add(nid)
            stack += successors(protocol.nodes[nid])
    return found


# --- the Questionnaire ------------------------------------------------------------------------------


def _field_type(item: RecordField) -> str:
    if item.type == "number":
        return "decimal" if item.decimals else "integer"
    return _FIELD_TYPES[item.type][0]


def _field_item(protocol: Protocol, node_id: str, item: RecordField) -> dict[str, Any]:
    kind = item.type
    fhir_type = _field_type(item)
    out: dict[str, Any] = {"linkId": f"{node_id}.{item.id}", "text": item.label, "type": fhir_type,
                           "required": item.required}
    if kind == "text":
        out["maxLength"] = item.max_length
    if kind == "choice":
        out["answerOption"] = [{"valueCoding": {"system": _options_system(protocol.id, f"{node_id}.{item.id}"),
                                                "code": c.key, "display": c.label}} for c in item.choices]
    extensions: list[dict[str, Any]] = []
    if item.unit:
        extensions.append({"url": UNIT_EXTENSION, "valueCoding": {"display": item.unit}})
    value_key = "valueInteger" if fhir_type == "integer" else "valueDecimal"
    for url, bound in ((MIN_EXTENSION, item.min), (MAX_EXTENSION, item.max)):
        if kind == "number" and bound is not None:
            extensions.append({"url": url, value_key: int(bound) if fhir_type == "integer" else bound})
    if extensions:
        out["extension"] = extensions
    return out


def _answer_item(protocol: Protocol, node_id: str, node: AnyNode) -> list[dict[str, Any]]:
    """The question(s) inside a node's group."""
    if isinstance(node, QuestionNode):
        return [{"linkId": f"{node_id}.answer", "text": node.title, "type": "choice", "required": True,
                 "answerOption": [{"valueCoding": {"system": _options_system(protocol.id, node_id), "code": o.key,
                                                   "display": o.label}} for o in node.options]}]
    if isinstance(node, InputNode):
        item: dict[str, Any] = {"linkId": f"{node_id}.answer", "text": node.title, "type": "integer",
                                "required": True, "extension": [{"url": MIN_EXTENSION, "valueInteger": node.min},
                                                                {"url": MAX_EXTENSION, "valueInteger": node.max}]}
        if node.unit:
            item["extension"].append({"url": UNIT_EXTENSION, "valueCoding": {"display": node.unit}})
        return [item]
    if isinstance(node, WaitNode):
        return [{"linkId": f"{node_id}.answer", "text": f"Reassessed after {node.minutes} min", "type": "boolean"}]
    if isinstance(node, RecordNode):
        return [_field_item(protocol, node_id, item) for item in node.fields]
    return [{"linkId": f"{node_id}.answer", "text": "Done", "type": "boolean"}]


def questionnaire(protocol: Protocol | None, start: dict[str, Any], check: str) -> dict[str, Any]:
    """The Questionnaire of the protocol version (items only when the protocol file was found)."""
    protocol_id = protocol.id if protocol else str(start.get("protocol", "unknown"))
    out: dict[str, Any] = {"resourceType": "Questionnaire", "url": canonical_url(protocol_id),
                           "version": protocol.version if protocol else str(start.get("version", "unknown")),
                           "title": protocol.title if protocol else str(start.get("title") or protocol_id),
                           "status": _STATUS.get(str(protocol.status if protocol else start.get("status")), "unknown"),
                           "subjectType": ["Patient"]}
    if protocol is None:
        out["description"] = f"Protocol file not available: {check}."
        return out
    out["description"] = (protocol.summary + "\n\n" if protocol.summary else "") + f"Export note: {check}."
    review = protocol.review
    if review.approved_on:
        out["approvalDate"] = review.approved_on.isoformat()
    if review.last_reviewed:
        out["lastReviewDate"] = review.last_reviewed.isoformat()
    cyclic = _cyclic(protocol)
    items: list[dict[str, Any]] = []
    outcomes = []
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        if isinstance(node, OutcomeNode):
            outcomes.append({"valueCoding": {"system": _options_system(protocol.id, OUTCOME_ID), "code": nid,
                                             "display": node.title}})
            continue
        group: dict[str, Any] = {"linkId": nid, "text": node.title, "type": "group",
                                 "item": _answer_item(protocol, nid, node)}
        if nid in cyclic:
            group["repeats"] = True
        items.append(group)
    if protocol.red_flags:
        items.append({"linkId": FLAGS_ID, "text": "Red flags raised", "type": "group", "repeats": True,
                      "item": [{"linkId": f"{FLAGS_ID}.flag", "text": "Red flag", "type": "choice", "answerOption": [
                          {"valueCoding": {"system": _options_system(protocol.id, FLAGS_ID), "code": f.key,
                                           "display": f.label}} for f in protocol.red_flags]},
                          *fhir_handover.flag_items()]})
    items += fhir_handover.questionnaire_items(protocol)
    items.append({"linkId": NOTES_ID, "text": "Notes", "type": "group", "repeats": True,
                  "item": [{"linkId": f"{NOTES_ID}.text", "text": "Note", "type": "text"}]})
    items.append({"linkId": OUTCOME_ID, "text": "Outcome", "type": "choice", "answerOption": outcomes})
    out["item"] = items
    return out


# --- the QuestionnaireResponse ----------------------------------------------------------------------


def _typed(value: Any, kind: str | None) -> dict[str, Any] | None:
    """A record field's value as a FHIR answer (kind from the protocol's field, else guessed)."""
    if value is None or value == "":
        return None
    if kind == "number" or (kind is None and isinstance(value, int | float) and not isinstance(value, bool)):
        number = float(value) if not isinstance(value, int | float) else value
        if isinstance(number, float) and not number.is_integer():
            return {"valueDecimal": number}
        return {"valueInteger": int(number)} if kind is None else {"valueDecimal": number}
    text = str(value)
    if (kind == "time" or kind is None) and TIME_RE.fullmatch(text):
        return {"valueTime": f"{text}:00"}
    if (kind == "date" or kind is None) and DATE_RE.fullmatch(text):
        return {"valueDate": text}
    return {"valueString": text}


class _Responder:
    """Builds the response items from the answers that stand (after back steps)."""

    def __init__(self, protocol: Protocol | None, protocol_id: str, anonymise: bool = False) -> None:
        self.protocol = protocol
        self.protocol_id = protocol_id
        self.anonymise = anonymise

    def node(self, node_id: str) -> AnyNode | None:
        return self.protocol.nodes.get(node_id) if self.protocol else None

    def field_answer(self, event: dict[str, Any]) -> dict[str, Any]:
        node_id, field_id = str(event.get("node")), str(event.get("field"))
        words = said(event, self.protocol)
        item = record_field(self.node(node_id), field_id)
        kind = str(item.type) if item is not None else None
        out: dict[str, Any] = {"linkId": f"{node_id}.{field_id}", "text": words.label}
        answer: dict[str, Any] | None
        if words.empty:
            answer = None
        elif kind == "choice":  # coded by its key, whether the log kept the key or the label
            answer = {"valueCoding": {"system": _options_system(self.protocol_id, f"{node_id}.{field_id}"),
                                      "code": words.key, "display": str(words.value)}}
        elif kind == "number" and item is not None and not item.decimals:
            answer = {"valueInteger": int(float(words.value))}
        else:
            answer = _typed(words.value, kind)
        if self.anonymise and withheld(event, self.protocol):  # R4's way to say a value is there but withheld
            out["extension"] = [{"url": ABSENT_EXTENSION, "valueCode": "masked"}]
        elif answer is not None:
            out["answer"] = [answer]
        return out

    def answer(self, event: dict[str, Any]) -> dict[str, Any]:
        node_id = str(event.get("node"))
        node = self.node(node_id)
        words = said(event, self.protocol)
        text = "Done"
        value: dict[str, Any]
        if words.kind == "option":
            text = words.title
            value = {"valueCoding": {"system": _options_system(self.protocol_id, node_id), "code": words.key,
                                     "display": words.label}}
        elif words.kind == "input":
            text = words.title
            value = {"valueInteger": int(words.value)}
        else:
            if isinstance(node, WaitNode):
                text = f"Reassessed after {node.minutes} min"
            value = {"valueBoolean": True}
        return {"linkId": f"{node_id}.answer", "text": text, "answer": [value]}

    def group(self, node_id: str, title: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
        node = self.node(node_id)
        text = str(title or (node.title if node is not None else node_id))
        return {"linkId": node_id, "text": text, "item": items}


def response_items(events: Sequence[dict[str, Any]], protocol: Protocol | None,
                   anonymise: bool) -> list[dict[str, Any]]:
    """The walk's answers as response items: one group per step answered (record fields grouped per visit)."""
    start = events[0] if events else {}
    responder = _Responder(protocol, str(start.get("protocol", "unknown")), anonymise)
    items: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for event in standing(events):
        if event.get("event") == "red-flag":
            flags.append({"linkId": FLAGS_ID, "text": "Red flags raised", "item": [
                {"linkId": f"{FLAGS_ID}.flag", "text": "Red flag", "answer": [{"valueCoding": {
                    "system": _options_system(responder.protocol_id, FLAGS_ID), "code": str(event.get("key")),
                    "display": str(event.get("label", ""))}}]}]})
            previous = None
            continue
        if event.get("field"):
            answer = responder.field_answer(event)
            same_visit = (previous is not None and previous.get("node") == event.get("node")
                          and previous.get("field") and items)
            if same_visit:
                items[-1]["item"].append(answer)
            else:
                items.append(responder.group(str(event.get("node")), event.get("title"), [answer]))
        else:
            items.append(responder.group(str(event.get("node")), event.get("title"), [responder.answer(event)]))
        previous = event
    items += flags
    items += fhir_handover.withdrawn_flag_groups(events, _options_system(responder.protocol_id, FLAGS_ID), anonymise)
    items += fhir_handover.handover_groups(events, anonymise)
    if not anonymise:
        items += [{"linkId": NOTES_ID, "text": "Notes", "item": [
            {"linkId": f"{NOTES_ID}.text", "text": "Note", "answer": [{"valueString": str(e.get("text", ""))}]}]}
                  for e in events if e.get("event") == "note"]
    outcome = outcome_event(events)
    if outcome is not None:
        items.append({"linkId": OUTCOME_ID, "text": "Outcome", "answer": [{"valueCoding": {
            "system": _options_system(responder.protocol_id, OUTCOME_ID), "code": str(outcome.get("node")),
            "display": str(outcome.get("title") or outcome.get("node"))}}]})
    return items


# --- the Bundle -------------------------------------------------------------------------------------


def _uuid(seed: str, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{BASE}/{seed}/{kind}')}"


def _agents(start: dict[str, Any], anonymise: bool) -> list[dict[str, Any]]:
    """Who did it: the practitioner (unless anonymised), and the tool that assembled the record."""
    agents = [{"type": {"coding": [{"system": PARTICIPANT, "code": "assembler", "display": "Assembler"}]},
               "who": {"display": f"aesthetic-protocols {start.get('tool') or __version__}"}}]
    if start.get("practitioner") and not anonymise:
        agents.insert(0, {"type": {"coding": [{"system": PARTICIPANT, "code": "author", "display": "Author"}]},
                          "who": {"display": str(start["practitioner"])}})
    return agents


def _provenance(events: Sequence[dict[str, Any]], start: dict[str, Any], check: str, head: str,
                urls: dict[str, str], anonymise: bool, now: datetime) -> dict[str, Any]:
    """What the response was made from: the protocol file (its sha256) and the session log (its head hash)."""
    logged_sha = str(start.get("sha256") or "")
    protocol: dict[str, Any] = {"reference": urls["questionnaire"],
                                "display": f"protocol {start.get('protocol', '?')} {start.get('version', '?')}, "
                                           f"file sha256 {logged_sha or 'not recorded'}; {check}"}
    if logged_sha:
        protocol["identifier"] = {"system": SHA256_SYSTEM, "value": logged_sha}
    log = f"session log head hash {head} ({len(events)} events)"
    if not anonymise:
        log += f", session {start.get('session', '')}"
    times = [str(e["ts"]) for e in events if isinstance(e.get("ts"), str)]
    out: dict[str, Any] = {"resourceType": "Provenance", "target": [{"reference": urls["response"]}],
                           "agent": _agents(start, anonymise),
                           "entity": [{"role": "source", "what": protocol},
                                      {"role": "source", "what": {"identifier": {"system": LOG_HEAD_SYSTEM,
                                                                                 "value": head}, "display": log}}]}
    if times and not anonymise:
        out["occurredPeriod"] = {"start": times[0], "end": times[-1]}
        out["recorded"] = times[-1]
    else:  # R4 requires `recorded`: an anonymised export gives the time it was made, not the session's
        out["recorded"] = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return out


def fhir_bundle(events: Sequence[dict[str, Any]], logged: LoggedProtocol | None = None, anonymise: bool = False,
                now: datetime | None = None) -> dict[str, Any]:
    """The session as a FHIR R4 `collection` Bundle. Anonymised: no subject, practitioner, session id, notes
    or session times (`now`, the export's time, defaults to the clock)."""
    start = events[0] if events and events[0].get("event") == "start" else {}
    protocol = logged.protocol if logged else None
    check = logged.check if logged else "the protocol file was not looked up"
    last_ts = next((str(e["ts"]) for e in reversed(events) if isinstance(e.get("ts"), str)), None)
    head = next((str(e["hash"]) for e in reversed(events) if isinstance(e.get("hash"), str)), "none")
    session, patient = str(start.get("session", "")), start.get("patient")
    urls = {kind: _uuid(head, kind) for kind in ("questionnaire", "response", "provenance")}
    form = questionnaire(protocol, start, check)
    end = ending(events)
    ended = end.get("event") if end is not None else None
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "questionnaire": f"{form['url']}|{form['version']}",
        "status": {"outcome": "completed", "interrupted": "stopped"}.get(str(ended), "in-progress"),
        "item": response_items(events, protocol, anonymise)}
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if not anonymise:
        if session:
            response["identifier"] = bundle["identifier"] = {"system": SESSION_SYSTEM, "value": session}
        if last_ts:
            response["authored"] = bundle["timestamp"] = last_ts
        if patient:
            response["subject"] = {"identifier": {"system": PATIENT_SYSTEM, "value": str(patient)},
                                   "display": f"patient {patient}"}
        if start.get("practitioner"):
            response["author"] = {"display": str(start["practitioner"])}
    provenance = _provenance(events, start, check, head, urls, anonymise, now or datetime.now(UTC))
    bundle["entry"] = [{"fullUrl": urls["questionnaire"], "resource": form},
                       {"fullUrl": urls["response"], "resource": response},
                       {"fullUrl": urls["provenance"], "resource": provenance}]
    return bundle


def record_fhir(events: Sequence[dict[str, Any]], anonymise: bool = False, logged: LoggedProtocol | None = None) -> str:
    """`log export --format fhir`: the Bundle as JSON."""
    return json.dumps(fhir_bundle(events, logged, anonymise), indent=2, ensure_ascii=False) + "\n"
