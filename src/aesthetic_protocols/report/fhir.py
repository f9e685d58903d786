"""A session as a FHIR R4 Bundle an EHR can take in: the Questionnaire of the exact protocol version, the
QuestionnaireResponse of the walk, and a Provenance holding the protocol's sha256 and the log's head hash.

Plain dicts, written to the R4 structures (Questionnaire, QuestionnaireResponse, Provenance, Bundle);
the tests validate them with the R4 models of `fhir.resources`, which is not needed at run time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, assert_never

from aesthetic_protocols import __version__
from aesthetic_protocols.events import (
    AnswerEvent,
    Logged,
    NoteEvent,
    OutcomeEvent,
    RedFlagEvent,
    StartEvent,
    UnknownEvent,
    decode_all,
)
from aesthetic_protocols.logged_protocol import LoggedProtocol
from aesthetic_protocols.nodes import successors
from aesthetic_protocols.photo import photo_answers
from aesthetic_protocols.recorded import Lines, decisions, ending, outcome_event, standing, start_event
from aesthetic_protocols.report import fhir_handover
from aesthetic_protocols.report.answers import DATE_RE, TIME_RE, record_field, said, withheld
from aesthetic_protocols.report.review import node_order
from aesthetic_protocols.report.templating import visible
from aesthetic_protocols.tree import (
    ActionNode,
    AnyNode,
    DecideNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    RecordField,
    RecordNode,
    WaitNode,
)

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
                "time": ("time", "valueTime"), "date": ("date", "valueDate"),
                "photo": ("reference", "valueReference")}  # a photograph: its Media resource in the bundle


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
    """The question(s) inside a node's group (a decide: its decision, read only; an outcome: none)."""
    match node:
        case QuestionNode():
            return [{"linkId": f"{node_id}.answer", "text": node.title, "type": "choice", "required": True,
                     "answerOption": [{"valueCoding": {"system": _options_system(protocol.id, node_id),
                                                       "code": o.key, "display": o.label}} for o in node.options]}]
        case InputNode():
            item: dict[str, Any] = {"linkId": f"{node_id}.answer", "text": node.title, "type": "integer",
                                    "required": True,
                                    "extension": [{"url": MIN_EXTENSION, "valueInteger": node.min},
                                                  {"url": MAX_EXTENSION, "valueInteger": node.max}]}
            if node.unit:
                item["extension"].append({"url": UNIT_EXTENSION, "valueCoding": {"display": node.unit}})
            return [item]
        case WaitNode():
            return [{"linkId": f"{node_id}.answer", "text": f"Reassessed after {node.minutes} min", "type": "boolean"}]
        case RecordNode():
            return [_field_item(protocol, node_id, item) for item in node.fields]
        case DecideNode():  # not a question: the protocol's decision, and why, read only
            return [{"linkId": f"{node_id}.decision", "text": "Decided by the protocol (not asked)",
                     "type": "string", "readOnly": True}]
        case ActionNode():
            return [{"linkId": f"{node_id}.answer", "text": "Done", "type": "boolean"}]
        case OutcomeNode():
            return []
        case _:
            assert_never(node)


def questionnaire(protocol: Protocol | None, start: StartEvent, check: str) -> dict[str, Any]:
    """The Questionnaire of the protocol version (items only when the protocol file was found)."""
    protocol_id = protocol.id if protocol else start.protocol or "unknown"
    out: dict[str, Any] = {"resourceType": "Questionnaire", "url": canonical_url(protocol_id),
                           "version": protocol.version if protocol else start.version or "unknown",
                           "title": protocol.title if protocol else start.title or protocol_id,
                           "status": _STATUS.get(str(protocol.status if protocol else start.status), "unknown"),
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
    return {"valueString": visible(text)}  # typed text from a log: invisible characters shown, never hidden


class _Responder:
    """Builds the response items from the answers that stand (after back steps)."""

    def __init__(self, protocol: Protocol | None, protocol_id: str, anonymise: bool = False,
                 with_photos: bool = False) -> None:
        self.protocol = protocol
        self.protocol_id = protocol_id
        self.anonymise = anonymise
        self.with_photos = with_photos  # the bundle carries a Media resource per photograph

    def node(self, node_id: str) -> AnyNode | None:
        return self.protocol.nodes.get(node_id) if self.protocol else None

    def field_answer(self, event: AnswerEvent) -> dict[str, Any]:
        node_id, field_id = str(event.node), str(event.field)
        words = said(event, self.protocol)
        item = record_field(self.node(node_id), field_id)
        kind = str(item.type) if item is not None else None
        out: dict[str, Any] = {"linkId": f"{node_id}.{field_id}", "text": words.label}
        answer: dict[str, Any] | None
        if words.empty:
            answer = None
        elif event.photo_sha256:  # the photograph is a Media resource of the bundle, or withheld
            if not self.with_photos:
                out["extension"] = [{"url": ABSENT_EXTENSION, "valueCode": "masked"}]
                return out
            answer = {"valueReference": {"reference": media_url(event.photo_sha256),
                                         "display": str(words.value)}}
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

    def answer(self, event: AnswerEvent) -> dict[str, Any]:
        node_id = str(event.node)
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


def response_items(lines: Lines, protocol: Protocol | None, anonymise: bool,
                   with_photos: bool = False) -> list[dict[str, Any]]:
    """The walk's answers as response items: one group per step answered (record fields grouped per visit)."""
    events = decode_all(lines)
    start = events[0].event if events else None
    responder = _Responder(protocol, (start.protocol if isinstance(start, StartEvent) else "") or "unknown",
                           anonymise, with_photos)
    items: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    previous: AnswerEvent | None = None
    for logged in standing(events):
        event = logged.event
        if isinstance(event, RedFlagEvent):
            flags.append({"linkId": FLAGS_ID, "text": "Red flags raised", "item": [
                {"linkId": f"{FLAGS_ID}.flag", "text": "Red flag", "answer": [{"valueCoding": {
                    "system": _options_system(responder.protocol_id, FLAGS_ID), "code": event.key,
                    "display": event.label}}]}]})
            previous = None
            continue
        if not isinstance(event, AnswerEvent):
            continue  # `standing` holds answers and red flags only
        if event.field:
            answer = responder.field_answer(event)
            same_visit = previous is not None and previous.node == event.node and previous.field and items
            if same_visit:
                items[-1]["item"].append(answer)
            else:
                items.append(responder.group(str(event.node), event.title, [answer]))
        else:
            items.append(responder.group(str(event.node), event.title, [responder.answer(event)]))
        previous = event
    items += flags
    for decided in decisions(events):  # a decide is not a question: its result and why, as text
        items.append(responder.group(str(decided.node), decided.title, [{
            "linkId": f"{decided.node}.decision", "text": "Decided by the protocol (not asked)",
            "answer": [{"valueString": decided.because or "no rule held (otherwise)"}]}]))
    items += fhir_handover.withdrawn_flag_groups(events, _options_system(responder.protocol_id, FLAGS_ID), anonymise)
    items += fhir_handover.handover_groups(events, anonymise)
    if not anonymise:
        items += [{"linkId": NOTES_ID, "text": "Notes", "item": [
            {"linkId": f"{NOTES_ID}.text", "text": "Note", "answer": [{"valueString": visible(e.event.text)}]}]}
                  for e in events if isinstance(e.event, NoteEvent)]
    outcome = outcome_event(events)
    if outcome is not None:
        items.append({"linkId": OUTCOME_ID, "text": "Outcome", "answer": [{"valueCoding": {
            "system": _options_system(responder.protocol_id, OUTCOME_ID), "code": str(outcome.node),
            "display": str(outcome.title or outcome.node)}}]})
    return items


# --- the Bundle -------------------------------------------------------------------------------------


def _uuid(seed: str, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{BASE}/{seed}/{kind}')}"


def _agents(start: StartEvent, anonymise: bool) -> list[dict[str, Any]]:
    """Who did it: the practitioner (unless anonymised), and the tool that assembled the record."""
    agents = [{"type": {"coding": [{"system": PARTICIPANT, "code": "assembler", "display": "Assembler"}]},
               "who": {"display": f"aesthetic-protocols {start.tool or __version__}"}}]
    if start.practitioner and not anonymise:
        agents.insert(0, {"type": {"coding": [{"system": PARTICIPANT, "code": "author", "display": "Author"}]},
                          "who": {"display": start.practitioner}})
    return agents


def _provenance(events: Sequence[Logged], start: StartEvent, session: str, check: str, head: str,
                urls: dict[str, str], anonymise: bool, now: datetime) -> dict[str, Any]:
    """What the response was made from: the protocol file (its sha256) and the session log (its head hash)."""
    logged_sha = start.sha256
    protocol: dict[str, Any] = {"reference": urls["questionnaire"],
                                "display": f"protocol {start.protocol or '?'} {start.version or '?'}, "
                                           f"file sha256 {logged_sha or 'not recorded'}; {check}"}
    if logged_sha:
        protocol["identifier"] = {"system": SHA256_SYSTEM, "value": logged_sha}
    log = f"session log head hash {head} ({len(events)} events)"
    unknown = sum(isinstance(e.event, UnknownEvent) for e in events)
    if unknown:  # kept in the log, but not in the response: say so rather than drop them silently
        log += f"; {unknown} of a kind this version does not read (not in the response)"
    if not anonymise:
        log += f", session {session}"
    times = [e.ts for e in events if e.ts]
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


def media_url(sha256: str) -> str:
    """The fullUrl of a photograph's Media resource (the same photograph, the same URL)."""
    return _uuid(sha256, "media")


def _media(events: Lines, photos: Mapping[str, bytes], anonymise: bool) -> list[dict[str, Any]]:
    """A Media resource per photograph the standing answers took: its content with type, size, SHA-1 hash
    (base64, as FHIR's Attachment.hash is) and capture time; the bytes themselves as `data`."""
    entries: dict[str, dict[str, Any]] = {}
    for _, event in photo_answers(standing(events)):
        digest = str(event.photo_sha256)
        data = photos.get(digest)
        if data is None or digest in entries:
            continue
        content: dict[str, Any] = {"contentType": event.photo_type or "image/jpeg", "size": len(data),
                                   "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
                                   "title": event.label or "Photograph",
                                   "data": base64.b64encode(data).decode("ascii")}
        captured = event.photo_captured or ""
        # Camera time has no zone, and FHIR's dateTime needs one with a clock time: the date alone.
        if captured and not anonymise:
            content["creation"] = captured[:10]
        entries[digest] = {"fullUrl": media_url(digest),
                           "resource": {"resourceType": "Media", "status": "completed", "content": content}}
    return list(entries.values())


def fhir_bundle(lines: Lines, logged: LoggedProtocol | None = None, anonymise: bool = False,
                now: datetime | None = None, photos: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """The session as a FHIR R4 `collection` Bundle. Anonymised: no subject, practitioner, session id, notes,
    and no absolute time or date at all (no session times, no review dates, and no Provenance, whose
    `recorded` instant R4 requires); elapsed times only. `now` (the Provenance's `recorded` when a session
    has no times) defaults to the clock. With `photos` (bytes by sha256), a Media resource per photograph,
    referenced from its answer."""
    events = decode_all(lines)
    start = start_event(events)
    protocol = logged.protocol if logged else None
    check = logged.check if logged else "the protocol file was not looked up"
    last_ts = next((e.ts for e in reversed(events) if e.ts), None)
    head = next((e.hash for e in reversed(events) if e.hash), "none")
    session = events[0].session if events and isinstance(events[0].event, StartEvent) else ""
    patient = start.patient
    urls = {kind: _uuid(head, kind) for kind in ("questionnaire", "response", "provenance")}
    form = questionnaire(protocol, start, check)
    if anonymise:  # no absolute date at all: even the protocol's review dates bound the day of treatment
        form = {key: value for key, value in form.items() if key not in ("approvalDate", "lastReviewDate")}
    end = ending(events)
    status = "in-progress" if end is None else "completed" if isinstance(end, OutcomeEvent) else "stopped"
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "questionnaire": f"{form['url']}|{form['version']}",
        "status": status,
        "item": response_items(events, protocol, anonymise, photos is not None)}
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if not anonymise:
        if session:
            response["identifier"] = bundle["identifier"] = {"system": SESSION_SYSTEM, "value": session}
        if last_ts:
            response["authored"] = bundle["timestamp"] = last_ts
        if patient:
            response["subject"] = {"identifier": {"system": PATIENT_SYSTEM, "value": str(patient)},
                                   "display": f"patient {patient}"}
        if start.practitioner:
            response["author"] = {"display": start.practitioner}
    bundle["entry"] = [{"fullUrl": urls["questionnaire"], "resource": form},
                       {"fullUrl": urls["response"], "resource": response}]
    if not anonymise:  # R4 requires Provenance.recorded, an instant: an anonymised bundle carries no time at all
        provenance = _provenance(events, start, session, check, head, urls, anonymise, now or datetime.now(UTC))
        bundle["entry"].append({"fullUrl": urls["provenance"], "resource": provenance})
    if photos is not None:
        bundle["entry"] += _media(events, photos, anonymise)
    return bundle


def record_fhir(events: Lines, anonymise: bool = False, logged: LoggedProtocol | None = None,
                photos: Mapping[str, bytes] | None = None) -> str:
    """`log export --format fhir`: the Bundle as JSON."""
    return json.dumps(fhir_bundle(events, logged, anonymise, photos=photos), indent=2, ensure_ascii=False) + "\n"
