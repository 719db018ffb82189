"""The per-case hash chain (product §6).

Each event's hash covers the previous event's hash and the event's own content, so altering,
removing or reordering any stored event breaks every link after it. The case row keeps the tip of
its chain (``last_event_seq``, ``last_event_hash``); writers hold the case row locked while they
append, so a chain never forks. An evidence file's SHA-256 is chained in its ``evidence_added``
event, so the chain also vouches for the stored file.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from .models import GENESIS_HASH, Case, CaseEvent, Evidence


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
    # Each evidence file must still be the one whose digest its event chained.
    for event in events:
        if event.type == CaseEvent.Type.EVIDENCE_ADDED:
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
        for event in CaseEvent.objects.filter(case_id__in=tips).order_by("case_id", "seq"):
            events_by_case[event.case_id].append(event)
            if event.type == CaseEvent.Type.EVIDENCE_ADDED:
                evidence_ids.append(event.data.get("evidence"))
        evidence_ids = [pk for pk in evidence_ids if isinstance(pk, int)]
        files = {
            pk: (case_id, name)
            for pk, case_id, name in Evidence.objects.filter(pk__in=evidence_ids).values_list(
                "pk", "case_id", "file"
            )
        }
        for pk, (number, tip) in tips.items():
            broken = _verify_one(number, events_by_case[pk], tip, texts[pk], pk, files)
            if broken is not None:
                yield broken
