"""The per-case hash chain (product §6).

Each event's hash covers the previous event's hash and the event's own content, so altering,
removing or reordering any stored event breaks every link after it. The case row keeps the tip of
its chain (``last_event_seq``, ``last_event_hash``); writers hold the case row locked while they
append, so a chain never forks. An evidence file's SHA-256 is chained in its ``evidence_added``
event, so the chain also vouches for the stored file; likewise what every party said or agreed
to (a message's text, an offer's and an agreement's terms and amount, the description of a piece
of evidence, a rejection's reason, a referral's decision note) is chained by digest in the event
that recorded it, and ``ledger_verify`` checks the stored rows against it (``CONTENT``).
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import models

from .models import GENESIS_HASH, Agreement, Case, CaseEvent, Evidence, Message, Offer, Referral


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(
    *,
    prev_hash: str,
    case_number: str,
    seq: int,
    type: str,
    data: dict,
    actor_id: int | None,
    internal: bool,
    created_at: datetime,
    data_json: str | None = None,
) -> str:
    """Return the SHA-256 of the previous hash followed by the event's canonical JSON.

    The canonical JSON is that of ``{"actor", "at", "case", "data", "internal", "seq", "type"}``
    with sorted keys and no spaces. It is assembled around the data's own canonical text
    (``data_json``, when the caller has it) so the data is encoded once: the sweep appends
    thousands of events a second.
    """
    dump = _canonical
    payload = (
        f'{{"actor":{dump(actor_id)},"at":{dump(created_at.astimezone(UTC).isoformat())},'
        f'"case":{dump(case_number)},"data":{data_json or dump(data)},'
        f'"internal":{dump(internal)},"seq":{dump(seq)},"type":{dump(type)}}}'
    )
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def event_append(
    case: Case,
    type: str,
    *,
    now: datetime,
    actor=None,
    data: dict | None = None,
    internal: bool = False,
) -> CaseEvent:
    """Chain a new event onto ``case`` (in memory; the caller saves both).

    The case must be locked by the caller's transaction.
    """
    data = data or {}
    data_json = _canonical(data)  # raises on anything the JSON column could not store
    seq = case.last_event_seq + 1
    actor_id = actor.pk if actor is not None else None
    digest = event_hash(
        prev_hash=case.last_event_hash,
        case_number=case.number,
        seq=seq,
        type=type,
        data=data,
        actor_id=actor_id,
        internal=internal,
        created_at=now,
        data_json=data_json,
    )
    event = CaseEvent(
        case=case,
        seq=seq,
        type=type,
        data=data,
        actor_id=actor_id,
        internal=internal,
        created_at=now,
        prev_hash=case.last_event_hash,
        hash=digest,
    )
    event.data_json = data_json  # reused by the sweep's COPY
    case.last_event_seq = seq
    case.last_event_hash = digest
    return event


@dataclass(frozen=True)
class BrokenLink:
    case_number: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"case {self.case_number}, event #{self.seq}: {self.problem}"


FILED_TEXT = ("subject", "facts", "claim")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(name: str) -> str | None:
    """Return the SHA-256 of the stored evidence file ``name``, read in chunks, or None when the
    storage does not have it."""
    if not name:
        return None
    digest = hashlib.sha256()
    try:
        with Evidence._meta.get_field("file").storage.open(name, "rb") as stored:
            for chunk in stored.chunks():
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)  # one object per entry of CONTENT: hashed by identity
class Content:
    """Rows an event refers to by id (``data[key]``) whose fields the event fixed: for each key
    of the event's data, the field and whether the stored value is the one recorded."""

    model: type[models.Model]
    key: str
    fields: dict[str, tuple[str, Callable]]

    @property
    def name(self) -> str:
        return self.model._meta.model_name


def _same_text(stored, recorded) -> bool:
    return str(stored) == recorded


def _same_amount(stored, recorded) -> bool:
    # "299" and "299.00" are one amount: the event keeps what was given, the column two places.
    return Decimal(recorded) == stored


def _same_date(stored, recorded) -> bool:
    return stored.isoformat() == recorded


def _same_digest(stored, recorded) -> bool:
    return text_sha256(stored) == recorded


TERMS = {
    "remedy": ("remedy", _same_text),
    "amount": ("amount", _same_amount),
    "fulfil_by": ("fulfil_by", _same_date),
    "terms_sha256": ("text", _same_digest),
}
E = CaseEvent.Type
# Which events fix which content. An event that names an agreement with its terms (accepting an
# offer, concluding mediation) fixes the agreement's, whatever its type.
CONTENT: list[tuple[set[str] | None, Content]] = [
    (
        {E.MESSAGE_POSTED, E.NOTE_POSTED},
        Content(Message, "message", {"body_sha256": ("body", _same_digest)}),
    ),
    ({E.OFFER_MADE}, Content(Offer, "offer", TERMS)),
    (
        {E.OFFER_REJECTED},
        Content(Offer, "offer", {"reason_sha256": ("rejection_reason", _same_digest)}),
    ),
    (None, Content(Agreement, "agreement", TERMS)),
    (
        {E.EVIDENCE_ADDED},
        Content(
            Evidence,
            "evidence",
            {
                "description_sha256": ("description", _same_digest),
                "name_sha256": ("original_name", _same_digest),
            },
        ),
    ),
    (
        {E.REFERRAL_DECIDED},
        Content(Referral, "referral", {"note_sha256": ("decision_note", _same_digest)}),
    ),
]


def _contents_of(event: CaseEvent) -> Iterator[Content]:
    for types, content in CONTENT:
        if (types is None or event.type in types) and isinstance(event.data.get(content.key), int):
            if types is None and not content.fields.keys() & event.data.keys():
                continue
            yield content


def _content_rows(events: list[CaseEvent]) -> dict[Content, dict[int, dict]]:
    """The rows the events refer to, one query per kind of content: {content: {pk: values}}."""
    wanted: dict[Content, set[int]] = {}
    for event in events:
        for content in _contents_of(event):
            wanted.setdefault(content, set()).add(event.data[content.key])
    rows: dict[Content, dict[int, dict]] = {}
    for content, ids in wanted.items():
        fields = sorted({field for field, _ in content.fields.values()})
        found = content.model.objects.filter(pk__in=ids).values("pk", "case_id", *fields)
        rows[content] = {row["pk"]: row for row in found}
    return rows


def _content_problem(event: CaseEvent, case_id: int, rows: dict[Content, dict[int, dict]]) -> str:
    for content in _contents_of(event):
        pk = event.data[content.key]
        row = rows.get(content, {}).get(pk)
        if row is None or row["case_id"] != case_id:
            return f"{content.name} #{pk} is missing (its record was deleted)"
        for data_key, (field, same) in content.fields.items():
            if data_key in event.data and not same(row[field], event.data[data_key]):
                return f"{content.name} #{pk}: its {field} was altered after it was recorded"
    return ""


def _evidence_problem(event: CaseEvent, case_id: int, files: dict[int, tuple[int, str]]) -> str:
    pk = event.data.get("evidence")
    if files.get(pk, (None,))[0] != case_id:
        return f"evidence #{pk} is missing (its record was deleted)"
    actual = file_sha256(files[pk][1])
    if actual is None:
        return f"evidence #{pk}: the stored file is missing"
    if actual != event.data.get("sha256"):
        return f"evidence #{pk}: the stored file was altered (SHA-256 mismatch)"
    return ""


def _verify_one(
    number: str,
    events: list[CaseEvent],
    tip: tuple[int, str],
    filed_text: dict[str, str],
    case_id: int,
    files: dict[int, tuple[int, str]],
    rows: dict[Content, dict[int, dict]],
) -> BrokenLink | None:
    prev, expected_seq = GENESIS_HASH, 1
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(number, expected_seq, f"event missing (found #{event.seq} next)")
        if event.prev_hash != prev:
            return BrokenLink(number, event.seq, "previous-hash link does not match")
        digest = event_hash(
            prev_hash=prev,
            case_number=number,
            seq=event.seq,
            type=event.type,
            data=event.data,
            actor_id=event.actor_id,
            internal=event.internal,
            created_at=event.created_at,
        )
        if digest != event.hash:
            return BrokenLink(number, event.seq, "content was altered (hash mismatch)")
        prev, expected_seq = digest, expected_seq + 1
    if tip != (expected_seq - 1, prev):
        return BrokenLink(
            number, expected_seq, "the case's chain tip does not match its last event"
        )
    # The complaint's own text must still be what the filed event fixed by digest.
    filed = events[0].data if events else {}
    for name in FILED_TEXT:
        recorded = filed.get(f"{name}_sha256")
        if recorded is not None and recorded != text_sha256(filed_text[name]):
            return BrokenLink(number, 1, f"the case's {name} no longer matches what was filed")
    # What each event fixed must still be what is stored: the rows it names, and each evidence
    # file the one whose digest it chained.
    for event in events:
        problem = _content_problem(event, case_id, rows)
        if not problem and event.type == CaseEvent.Type.EVIDENCE_ADDED:
            problem = _evidence_problem(event, case_id, files)
        if problem:
            return BrokenLink(number, event.seq, problem)
    return None


def ledger_verify(cases=None, *, chunk_size: int = 2000) -> Iterator[BrokenLink]:
    """Yield the first broken link of every case whose chain does not verify.

    Streams events in (case, seq) order so memory stays flat however many rows there are, and
    reads each evidence file in chunks to compare it with the SHA-256 its event recorded.
    """
    cases = Case.objects.all() if cases is None else cases
    case_ids = cases.order_by("pk").values_list(
        "pk", "number", "last_event_seq", "last_event_hash", *FILED_TEXT
    )
    last_pk = 0
    while True:
        batch = list(case_ids.filter(pk__gt=last_pk)[:chunk_size])
        if not batch:
            return
        tips = {row[0]: (row[1], (row[2], row[3])) for row in batch}
        texts = {row[0]: dict(zip(FILED_TEXT, row[4:], strict=True)) for row in batch}
        last_pk = batch[-1][0]
        events_by_case: dict[int, list[CaseEvent]] = {pk: [] for pk in tips}
        evidence_ids = []
        events = list(CaseEvent.objects.filter(case_id__in=tips).order_by("case_id", "seq"))
        for event in events:
            events_by_case[event.case_id].append(event)
            if event.type == CaseEvent.Type.EVIDENCE_ADDED:
                evidence_ids.append(event.data.get("evidence"))
        rows = _content_rows(events)
        evidence_ids = [pk for pk in evidence_ids if isinstance(pk, int)]
        files = {
            pk: (case_id, name)
            for pk, case_id, name in Evidence.objects.filter(pk__in=evidence_ids).values_list(
                "pk", "case_id", "file"
            )
        }
        for pk, (number, tip) in tips.items():
            broken = _verify_one(number, events_by_case[pk], tip, texts[pk], pk, files, rows)
            if broken is not None:
                yield broken
