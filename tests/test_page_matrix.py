"""Every page of the portal (read from its URL conf) × every persona × GET and the page's own
POST: the page for those who may open it; for everyone else "not found" (404) with exactly one
audit entry for a signed-in person (product §2, §6), a redirect to the sign-in for an anonymous
visitor, and a redirect to set up the second factor for a platform admin who has none; nothing
changed by a refused request; and no page shows a case the persona has no standing on. A page
that this matrix does not know fails the test: add it to ROWS with its arguments and who may
open it.

Left out: the API (tests/api/test_authorization_matrix.py), the Django admin apart from its
index, its sign-in and one list, allauth's pages apart from the sign-in and setting up the
second factor, /i18n/, /healthz and the favicon.

The personas and the rows they meet are in tests/page_matrix_personas.py. The world is built
once for the module, in a transaction rolled back at its end; each cell runs in a savepoint of
its own, so a POST that succeeds changes nothing for the next.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import Notification
from core.cached import forget_all
from core.models import AuditEntry
from merchants.models import WebhookDelivery
from odr.celery import app as celery_app
from tests.page_matrix_personas import (
    ADM,
    AG1,
    AG2,
    ANON,
    APP,
    INSTANT,
    INVITATION_TOKEN,
    NEW_BUSINESS_CODE,
    OW1,
    OW2,
    OX,
    OY,
    PERSONAS,
    STANDING,
    SUP,
    A,
    B,
    World,
    build_world,
    png,
)

pytestmark = pytest.mark.django_db

CONSUMERS = (A, B)
ACTIVE_STAFF = (AG1, OW1, AG2, OW2)  # staff of the two active merchants
OWNERS = (OW1, OW2, APP)  # the applicant owns the business it applied for
REGULATORS = (OX, OY, SUP)
SIGNED_IN = tuple(p for p in PERSONAS if p not in (ANON, ADM))  # and with their second factor
CASE_A_PARTIES = (A, AG1, OW1, OX, SUP)  # case_a: consumer_a v merchant 1, with Xiaodian
CASE_PRE_PARTIES = (OX, SUP)  # case_pre: carol v the applied business, with Xiaodian

# --- What a persona gets ------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """The page itself, with this status; ``unchanged``: and nothing written (a refusal the
    page explains, or a page that only reads)."""

    status: int = 200
    unchanged: bool = False

    def __str__(self) -> str:
        return f"{self.status}" + (" (nothing changed)" if self.unchanged else "")


@dataclass(frozen=True)
class Sent:
    """A redirect to one of ``to`` (URL names, or functions of the world giving a path);
    ``prefix``: the path starts with it (a new case's page)."""

    to: tuple
    prefix: bool = False
    unchanged: bool = False

    def paths(self, world: World) -> list[str]:
        return [t(world) if callable(t) else reverse(t) for t in self.to]

    def __str__(self) -> str:
        names = [getattr(t, "__name__", t) for t in self.to]
        return "302 → " + " or ".join(names) + (" (nothing changed)" if self.unchanged else "")


def sent(*to, prefix: bool = False, unchanged: bool = False) -> Sent:
    return Sent(tuple(to), prefix=prefix, unchanged=unchanged)


class Refusal(str):
    pass


SIGN_IN = Refusal("302 → account_login (sign in)")
SECOND_FACTOR = Refusal("302 → mfa_activate_totp (set up the second factor)")
NOT_FOUND = Refusal("404 with one audit entry (denied)")
NOT_ALLOWED = Refusal("405 (POST only)")


def everyone(outcome) -> dict:
    return {p: outcome for p in PERSONAS}


def only(personas, outcome) -> dict:
    return {p: outcome for p in personas}


def path_of(name: str, **kwargs: Callable[[World], object]) -> Callable[[World], str]:
    """A path reversed from ``name`` with arguments read from the world."""

    def build(world: World) -> str:
        return reverse(name, kwargs={k: v(world) for k, v in kwargs.items()})

    build.__name__ = name
    return build


# --- The rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One URL (a name, its arguments from the world, a query string) and what each persona gets
    from GET and from the page's own POST (with ``payload``). A persona missing from ``get`` or
    ``post`` is refused. ``get=None``: the URL takes POSTs only (GET answers 405, or is refused
    first). ``public``: open without signing in (no sign-in or second-factor refusal)."""

    name: str
    variant: str = ""
    kwargs: Callable[[World], dict] = lambda w: {}
    query: dict = field(default_factory=dict)
    get: dict | None = field(default_factory=dict)
    post: dict | None = None
    payload: Callable[[World], dict] = lambda w: {}
    public: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    def url(self, world: World) -> str:
        return reverse(self.name, kwargs=self.kwargs(world))

    def methods(self) -> list[str]:
        return ["get"] + (["post"] if self.post is not None else [])


def starting(path: str) -> Callable[[World], str]:
    """A path given as it is (with ``prefix``: what a new row's path starts with)."""

    def build(world: World) -> str:
        return path

    build.__name__ = path + "…"
    return build


def case_kwargs(case: str) -> Callable[[World], dict]:
    return lambda w: {"number": getattr(w, case).number}


def pk_of(attribute: str) -> Callable[[World], dict]:
    return lambda w: {"pk": getattr(w, attribute).pk}


CASE_A_DETAIL = path_of("cases:detail", number=lambda w: w.case_a.number)
CASE_PRE_DETAIL = path_of("cases:detail", number=lambda w: w.case_pre.number)
COMPLAINT = {
    "subject": "耳机无法开机",
    "facts": "收到的耳机无法开机。",
    "claim_remedy": "refund",
    "claim": "退货退款",
    "amount_claimed": "299.00",
}
REGION_XIAODIAN = {"region_0": "140000", "region_1": "140100", "region_2": "140105"}

ROWS = [
    # --- The project's own pages (odr/urls.py) --------------------------------------------------
    Row("landing", public=True, get=everyone(Shown())),
    Row(
        "home",
        get={
            **only(CONSUMERS, sent("consumers:home")),
            **only((*ACTIVE_STAFF, APP), sent("merchants:home")),
            **only(REGULATORS, sent("regulators:home")),
        },
    ),
    Row(
        "region_picker",
        public=True,
        query={"name": "region", "region_0": "140000"},
        get=everyone(Shown()),
    ),
    # --- Django admin: its index, its sign-in and one list ---------------------------------------
    # No persona is a platform admin with a second factor: everyone is refused.
    Row("admin:index"),
    Row("admin:login"),
    Row("admin:cases_case_changelist"),
    # --- allauth: the sign-in and setting up the second factor ----------------------------------
    Row(
        "account_login",
        get={ANON: Shown(), **only((*SIGNED_IN, ADM), sent("home"))},
    ),
    Row(
        "mfa_activate_totp",
        # allauth asks for the password again before a second factor is added (or shown).
        get=only((*SIGNED_IN, ADM), sent("account_reauthenticate")),
    ),
    # --- The merchant portal -------------------------------------------------------------------
    Row(
        "merchants:home",
        get={**only(ACTIVE_STAFF, Shown()), APP: sent("merchants:status")},
    ),
    Row(
        "merchants:acknowledge_many",
        get=None,
        post={
            **only((AG1, OW1), sent("merchants:home")),
            # Not among their merchant's complaints: the form says so, nothing is acknowledged.
            **only((AG2, OW2), sent("merchants:home", unchanged=True)),
            APP: sent("merchants:home", "merchants:status", unchanged=True),
        },
        payload=lambda w: {"case": [w.case_a.number]},
    ),
    Row(
        "merchants:dashboard",
        # The figures of a business's complaints are its staff's once a regulator approved it
        # (product §6); until then its staff are shown the application's status, as on /merchant/.
        # Either refusal will do: the status page (as /merchant/ does) or "not found".
        get={**only(ACTIVE_STAFF, Shown()), APP: (sent("merchants:status"), NOT_FOUND)},
    ),
    Row(
        "merchants:reply_templates",
        get=only(OWNERS, Shown()),
        post=only(OWNERS, sent("merchants:reply_templates")),
        payload=lambda w: {"title": "新模板", "body": "您好，我们已收到您的投诉。"},
    ),
    Row(
        "merchants:reply_template_edit",
        kwargs=pk_of("template_1"),
        get={OW1: Shown()},
        post={OW1: sent("merchants:reply_templates")},
        payload=lambda w: {"title": "问候", "body": "您好！"},
    ),
    Row(
        "merchants:reply_template_remove",
        kwargs=pk_of("template_1"),
        get=None,
        post={OW1: sent("merchants:reply_templates")},
    ),
    Row(
        "merchants:apply",
        get={**only(CONSUMERS, Shown()), **only((*ACTIVE_STAFF, APP), sent("merchants:status"))},
        post={
            **only(CONSUMERS, sent("merchants:status")),
            **only((*ACTIVE_STAFF, APP), sent("merchants:status", unchanged=True)),
        },
        payload=lambda w: {
            "name": "晋祠茶庄",
            "credit_code": NEW_BUSINESS_CODE,
            **REGION_XIAODIAN,
            "address": "太原市小店区长风街 9 号",
            "industry": "茶叶零售",
            "contact_phone": "0351-7000000",
            "legal_representative": "晋祠",
            "business_licence": png("营业执照.png"),
            "undertaking": "on",
        },
    ),
    Row("merchants:status", get=only((*ACTIVE_STAFF, APP), Shown())),
    Row(
        # The business licence on file: only the applicant's business has one.
        "merchants:licence",
        get={APP: Shown()},
    ),
    Row(
        "merchants:profile",
        get=only(OWNERS, Shown()),
        post=only(OWNERS, sent("merchants:profile")),
        payload=lambda w: {
            "address": "太原市小店区坞城路 1 号",
            "industry": "零售",
            "contact_phone": "0351-7111111",
        },
    ),
    Row(
        "merchants:staff",
        get=only(OWNERS, Shown()),
        post=only(OWNERS, sent("merchants:staff")),
        payload=lambda w: {"email": "new.agent@example.cn", "role": "agent"},
    ),
    Row(
        "merchants:staff_role",
        kwargs=pk_of("agent_1_membership"),
        get=None,
        post={OW1: sent("merchants:staff")},
        payload=lambda w: {"role": "owner"},
    ),
    Row(
        "merchants:staff_remove",
        kwargs=pk_of("agent_1_membership"),
        get=None,
        post={OW1: sent("merchants:staff")},
    ),
    Row(
        "merchants:invitation_withdraw",
        kwargs=pk_of("invitation_1"),
        get=None,
        post={OW1: sent("merchants:staff")},
    ),
    Row(
        # The emailed link: open to anyone who has it, joined only by the account of the
        # address invited (none of the personas): the page says why, 403.
        "merchants:join",
        kwargs=lambda w: {"token": INVITATION_TOKEN},
        public=True,
        get={ANON: Shown(), **only((*SIGNED_IN, ADM), Shown(403, unchanged=True))},
        post={
            ANON: sent("account_login", unchanged=True),
            **only((*SIGNED_IN, ADM), Shown(403, unchanged=True)),
        },
    ),
    Row(
        "merchants:webhooks",
        get=only(OWNERS, Shown()),
        post=only(OWNERS, Shown()),  # the new secret is shown once, on this page
        payload=lambda w: {"url": "https://1.1.1.1/odr", "events": ["case.message"]},
    ),
    Row("merchants:webhook", "merchant_1", kwargs=pk_of("webhook_1"), get={OW1: Shown()}),
    Row(
        # The applicant's own endpoint: its log must hold nothing of the complaints against the
        # business before a regulator approved it.
        "merchants:webhook",
        "applicant",
        kwargs=pk_of("applicant_webhook"),
        get={APP: Shown()},
    ),
    Row(
        "merchants:webhook_enable",
        kwargs=pk_of("webhook_1"),
        get=None,
        post={OW1: sent(path_of("merchants:webhook", pk=lambda w: w.webhook_1.pk))},
        payload=lambda w: {"enabled": "0"},
    ),
    Row(
        "merchants:webhook_remove",
        kwargs=pk_of("webhook_1"),
        get=None,
        post={OW1: sent("merchants:webhooks")},
    ),
    Row(
        "merchants:webhook_redeliver",
        kwargs=lambda w: {"pk": w.webhook_1.pk, "delivery_id": w.delivery_1.pk},
        get=None,
        post={OW1: sent(path_of("merchants:webhook", pk=lambda w: w.webhook_1.pk))},
    ),
    Row(
        "merchants:tokens",
        get=only(OWNERS, Shown()),
        post=only(OWNERS, Shown()),  # the new token is shown once, on this page
        payload=lambda w: {"name": "报表", "scope": "read"},
    ),
    Row(
        "merchants:token_revoke",
        kwargs=pk_of("token_1"),
        get=None,
        post={OW1: sent("merchants:tokens")},
    ),
    # --- The regulator portal ------------------------------------------------------------------
    Row("regulators:home", get=only(REGULATORS, Shown())),
    Row(
        "regulators:queue",
        "intake",
        kwargs=lambda w: {"name": "intake"},
        get=only(REGULATORS, Shown()),
    ),
    Row(
        "regulators:queue",
        "mediation",
        kwargs=lambda w: {"name": "mediation"},
        get=only(REGULATORS, Shown()),
    ),
    Row("regulators:referrals", get=only(REGULATORS, Shown())),
    Row(
        "regulators:register",
        get=only(REGULATORS, Shown()),
        post=only(REGULATORS, sent(starting("/cases/"), prefix=True)),
        payload=lambda w: {
            "channel": "phone",
            "contact_phone": "13655556666",
            "consumer_name": "赵六",
            "merchant": w.merchant_1.pk,
            **COMPLAINT,
        },
    ),
    Row(
        "regulators:merchant_results",
        query={"search": "爱克美"},
        get=only(REGULATORS, Shown()),
    ),
    Row("regulators:dashboard", get=only(REGULATORS, Shown())),
    Row(
        "regulators:export",
        "intake.csv",
        kwargs=lambda w: {"table": "intake", "fmt": "csv"},
        get=only(REGULATORS, Shown()),
    ),
    Row(
        "regulators:export",
        "merchants.xlsx",
        kwargs=lambda w: {"table": "merchants", "fmt": "xlsx"},
        get=only(REGULATORS, Shown()),
    ),
    Row(
        "regulators:merchants",
        query={"status": "applied"},
        get=only(REGULATORS, Shown()),
    ),
    Row(
        # The applied business, in Xiaodian: its office and the offices above it decide.
        "regulators:merchant",
        kwargs=pk_of("prior"),
        get=only((OX, SUP), Shown()),
    ),
    Row(
        "regulators:merchant_licence",
        kwargs=pk_of("prior"),
        get=only((OX, SUP), Shown()),
    ),
    Row(
        "regulators:merchant_act",
        "approve",
        kwargs=lambda w: {"pk": w.prior.pk, "action": "approve"},
        get=None,
        post=only((OX, SUP), sent(path_of("regulators:merchant", pk=lambda w: w.prior.pk))),
        payload=lambda w: {"approve-reason": ""},
    ),
    Row("regulators:callbacks", get=only(REGULATORS, Shown())),
    Row("regulators:businesses", get=only(REGULATORS, Shown())),
    Row(
        "regulators:business_invite",
        kwargs=pk_of("snack"),
        get=only((OX, SUP), Shown()),
        post=only((OX, SUP), sent(starting("/regulator/businesses/invitations/"), prefix=True)),
        payload=lambda w: {"channel": "letter"},
    ),
    Row("regulators:invitations", get=only(REGULATORS, Shown())),
    Row(
        "regulators:invitation_letter",
        kwargs=pk_of("letter"),
        get=only((OX, SUP), Shown()),
    ),
    Row("regulators:complainants", get=only(REGULATORS, Shown())),
    Row(
        # consumer_a: a complainant of Xiaodian's subtree (case_a), none of Yingze's.
        "regulators:complainant",
        kwargs=lambda w: {"pk": w.users[A].pk},
        get=only((OX, SUP), Shown()),
        post=only((OX, SUP), sent(path_of("regulators:complainant", pk=lambda w: w.users[A].pk))),
        payload=lambda w: {"decision": "not_abnormal", "reason": "投诉有据"},
    ),
    Row(
        # Merchant staff flag a complaint against their own business.
        "regulators:complaint_flag",
        kwargs=case_kwargs("case_a"),
        get=only((AG1, OW1), Shown()),
        post=only((AG1, OW1), sent(CASE_A_DETAIL)),
        payload=lambda w: {"reason": "同一消费者一年内投诉三十余次"},
    ),
    # --- The consumer portal -------------------------------------------------------------------
    Row("consumers:home", get=only(CONSUMERS, Shown())),
    Row(
        "consumers:complaint_new",
        get=only(CONSUMERS, Shown()),
        post=only(CONSUMERS, Shown()),  # the first step done: the second is shown
        payload=lambda w: {
            "filing_wizard-current_step": "business",
            "business-search": "",
            "business-merchant": w.merchant_1.pk,
        },
    ),
    Row(
        "consumers:merchant_results",
        query={"business-search": "爱克美"},
        get=only(CONSUMERS, Shown()),
    ),
    Row("consumers:filed", kwargs=case_kwargs("case_a"), get={A: Shown()}),
    # --- Cases ---------------------------------------------------------------------------------
    Row(
        # Public tracking by number and the phone given when filing: for everyone, and a right
        # answer writes nothing.
        "cases:track",
        public=True,
        get=everyone(Shown()),
        post=everyone(Shown(unchanged=True)),
        payload=lambda w: {"number": w.case_a.number, "phone": w.case_a.contact_phone},
    ),
    Row("cases:detail", "case_a", kwargs=case_kwargs("case_a"), get=only(CASE_A_PARTIES, Shown())),
    Row(
        # The complaint against the business before the applicant applied for it: the regulator's.
        "cases:detail",
        "case_pre",
        kwargs=case_kwargs("case_pre"),
        get=only(CASE_PRE_PARTIES, Shown()),
    ),
    Row(
        "cases:thread",
        kwargs=case_kwargs("case_a"),
        query={"since": "0"},
        get=only(CASE_A_PARTIES, Shown()),
    ),
    Row(
        "cases:act",
        "case_a.post_message",
        kwargs=lambda w: {"number": w.case_a.number, "action": "post_message"},
        get=None,
        post={
            **only((A, AG1, OW1), sent(CASE_A_DETAIL)),
            # Parties for whom the engine refuses it now: said on the case page.
            **only((OX, SUP), Shown(422, unchanged=True)),
        },
        payload=lambda w: {"post_message-body": "请尽快处理。"},
    ),
    Row(
        "cases:act",
        "case_a.acknowledge",
        kwargs=lambda w: {"number": w.case_a.number, "action": "acknowledge"},
        get=None,
        post={
            **only((AG1, OW1), sent(CASE_A_DETAIL)),
            **only((A, OX, SUP), Shown(422, unchanged=True)),
        },
    ),
    Row(
        "cases:act",
        "case_a.add_evidence",
        kwargs=lambda w: {"number": w.case_a.number, "action": "add_evidence"},
        get=None,
        post={
            **only((A, AG1, OW1), sent(CASE_A_DETAIL)),
            **only((OX, SUP), Shown(422, unchanged=True)),
        },
        payload=lambda w: {
            "add_evidence-file": png("发票.png"),
            "add_evidence-description": "发票",
        },
    ),
    Row(
        "cases:act",
        "case_pre.post_message",
        kwargs=lambda w: {"number": w.case_pre.number, "action": "post_message"},
        get=None,
        post=only(CASE_PRE_PARTIES, Shown(422, unchanged=True)),
        payload=lambda w: {"post_message-body": "我是商家，我们愿意协商。"},
    ),
    Row(
        "cases:act",
        "case_pre.accept",
        kwargs=lambda w: {"number": w.case_pre.number, "action": "accept"},
        get=None,
        post={OX: sent(CASE_PRE_DETAIL), SUP: Shown(422, unchanged=True)},
    ),
    Row(
        "cases:evidence",
        kwargs=lambda w: {"number": w.case_a.number, "evidence_id": w.evidence_a.pk},
        get=only(CASE_A_PARTIES, Shown()),
    ),
    # --- Notifications -------------------------------------------------------------------------
    Row("notifications:list", get=only(SIGNED_IN, Shown())),
    Row(
        "notifications:open",
        kwargs=pk_of("notification_1"),
        get=None,
        post={OW1: sent(CASE_A_DETAIL)},
    ),
    Row(
        "notifications:read_all",
        get=None,
        post=only(SIGNED_IN, sent("notifications:list")),
    ),
]

# The parts of the URL conf the matrix leaves out (see the module's docstring), and the pages
# it keeps of them.
LEFT_OUT_PREFIXES = ("api/", "admin/", "accounts/", "i18n/", "static/", "media/")
LEFT_OUT_NAMES = {"healthz", "favicon"}
KEPT = {"admin:index", "admin:login", "admin:cases_case_changelist"}
KEPT |= {"account_login", "mfa_activate_totp"}


def url_conf() -> list[tuple[str | None, str]]:
    """Every URL pattern of the project as (its name with namespaces, its route)."""
    found = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                found.append((name, route))

    walk(get_resolver().url_patterns, "", None)
    return found


def pages() -> list[tuple[str | None, str]]:
    """The URL patterns the matrix must know."""
    return [
        (name, route)
        for name, route in url_conf()
        if name in KEPT or not (route.startswith(LEFT_OUT_PREFIXES) or name in LEFT_OUT_NAMES)
    ]


# --- What the database holds: the fingerprint of "nothing changed" ------------------------------

FINGERPRINTED_APPS = (
    "accounts",
    "consumers",
    "merchants",
    "regulators",
    "cases",
    "api",
    "core",
    "account",  # allauth's email addresses
    "mfa",  # authenticators
)


def fingerprinted_models() -> list:
    return [
        model
        for label in FINGERPRINTED_APPS
        for model in apps.get_app_config(label).get_models()
        if model is not AuditEntry and model._meta.managed and not model._meta.proxy
    ]


def fingerprint() -> dict:
    """Every row of the tables people's requests could write (the audit log apart): one query
    on PostgreSQL (each table's rows as text, hashed), row by row elsewhere."""
    models = fingerprinted_models()
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        parts = [
            f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f"FROM {quote(m._meta.db_table)} t)"
            for m in models
        ]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts))
            row = cursor.fetchone()
        return {m._meta.label: value for m, value in zip(models, row, strict=True)}
    return {m._meta.label: list(m.objects.order_by("pk").values_list()) for m in models}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


# --- The module's world ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The personas and their rows, built once; rolled back after the module."""
    media = tmp_path_factory.mktemp("page-matrix-media")
    overrides = override_settings(
        MEDIA_ROOT=str(media),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CELERY_TASK_ALWAYS_EAGER=True,
        ODR_OUTBOX_NUDGE_SECONDS=0,
    )
    eager = celery_app.conf.task_always_eager
    with django_db_blocker.unblock(), overrides:
        celery_app.conf.task_always_eager = True
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            forget_all()
            cache.clear()
            with time_machine.travel(INSTANT, tick=False):
                built = build_world(str(media))
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            celery_app.conf.task_always_eager = eager
            forget_all()
            cache.clear()


@pytest.fixture(autouse=True)
def _the_worlds_files(request, settings):
    """The files of the world (evidence, the business licence) stay where it stored them."""
    if "world" in request.fixturenames:
        settings.MEDIA_ROOT = request.getfixturevalue("world").media


@pytest.fixture(autouse=True)
def _no_counted_requests():
    """Rate limits count in the cache: no cell's requests count against the next."""
    cache.clear()
    yield
    cache.clear()


# --- The matrix --------------------------------------------------------------------------------


def expected(row: Row, persona: str, method: str) -> tuple:
    """What ``persona`` may get from ``method`` on ``row``: one outcome, or (for GET of a URL
    that takes POSTs only) either of two."""
    if persona == ADM and not row.name.startswith(("account_", "mfa_")):
        # Before any page opens, public ones too, an admin sets up the second factor (§6); only
        # the sign-in plumbing under /accounts/ is open to them.
        return (SECOND_FACTOR,)
    if method == "get" and row.get is None:
        # A URL that takes POSTs only: 405, or the refusal that comes before it.
        if persona in (row.post or {}):
            return (NOT_ALLOWED,)
        return (SIGN_IN if persona == ANON else NOT_FOUND, NOT_ALLOWED)
    table = row.get if method == "get" else row.post
    if persona in table:
        outcome = table[persona]
        return outcome if isinstance(outcome, tuple) else (outcome,)
    assert not row.public, f"{row.id}: a public page names what every persona gets"
    if persona == ANON:
        return (SIGN_IN,)
    if persona == ADM:
        return (SECOND_FACTOR,)
    return (NOT_FOUND,)


def _location(response) -> str:
    return urlsplit(response.get("Location", "")).path


def _got(response, audits: list) -> str:
    where = f" → {response['Location']}" if response.has_header("Location") else ""
    entries = ", ".join(f"{a.action}/{a.outcome}" for a in audits) or "none"
    return f"{response.status_code}{where}; audit entries: {entries}"


def _matches(outcome, response, audits: list, user, client, world: World) -> bool:
    status = response.status_code
    if outcome == NOT_FOUND:
        return (
            status == 404
            and len(audits) == 1
            and audits[0].outcome == AuditEntry.Outcome.DENIED
            and audits[0].actor_id == user.pk
        )
    if outcome == NOT_ALLOWED:
        return status == 405 and not audits
    if outcome == SECOND_FACTOR:
        return status == 302 and _location(response) == reverse("mfa_activate_totp") and not audits
    if outcome == SIGN_IN:
        if status != 302 or audits:
            return False
        if _location(response) == reverse("admin:login"):
            # The admin's pages send to its sign-in, which is the portal's (one more hop).
            response = client.get(response["Location"])
            if response.status_code != 302:
                return False
        return _location(response) == reverse("account_login")
    if isinstance(outcome, Shown):
        return status == outcome.status
    if isinstance(outcome, Sent):
        if status not in (301, 302, 303):
            return False
        path = _location(response)
        return any(
            path.startswith(p) if outcome.prefix else path == p for p in outcome.paths(world)
        )
    raise AssertionError(f"unknown outcome {outcome!r}")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _foreign_cases_shown(row: Row, persona: str, body: str, world: World) -> list[str]:
    """The cases ``persona`` has no standing on whose numbers ``body`` shows (public tracking
    shows the case it was asked for: left out)."""
    if row.name == "cases:track":
        return []
    body = body.replace(row.url(world), "")  # the page's own address (the language switcher's)
    return [
        key
        for key, number in world.numbers().items()
        if key not in STANDING[persona] and number in body
    ]


CELLS = [
    pytest.param(row, persona, method, id=f"{row.id}-{persona}-{method}")
    for row in ROWS
    for method in row.methods()
    for persona in PERSONAS
]


@pytest.mark.parametrize(("row", "persona", "method"), CELLS)
def test_page(world, row, persona, method):
    client = world.client(persona)
    user = world.user(persona)
    url = row.url(world)
    outcomes = expected(row, persona, method)
    must_not_change = any(
        isinstance(o, Refusal) or getattr(o, "unchanged", False) for o in outcomes
    )
    before = fingerprint() if must_not_change else None
    last_audit = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    if method == "get":
        response = client.get(url, row.query)
    else:
        response = client.post(url, row.payload(world))
    audits = list(AuditEntry.objects.filter(pk__gt=last_audit).order_by("pk"))
    got = _got(response, audits)
    body = _body(response)

    cell = f"{row.id} {persona} {method.upper()}"
    problems = []
    if not any(_matches(o, response, audits, user, client, world) for o in outcomes):
        problems.append(f"expected {' or '.join(str(o) for o in outcomes)}, got {got}")
    if before is not None and (changed := changed_tables(before, fingerprint())):
        problems.append(f"expected nothing changed, yet it wrote {changed}")
    if shown := _foreign_cases_shown(row, persona, body, world):
        problems.append(f"shows cases it has no standing on: {shown} ({got})")
    if problems:
        # One line per cell, without a traceback: the matrix's failures are read as a list.
        pytest.fail(f"{cell}: " + "; ".join(problems), pytrace=False)


def test_the_matrix_knows_every_page():
    known = {row.name for row in ROWS}
    unnamed = [route for name, route in pages() if name is None]
    assert not unnamed, f"URL patterns without a name: {unnamed}"
    missing = sorted({name for name, _route in pages()} - known)
    assert not missing, f"pages the matrix does not know (add them to ROWS): {missing}"
    stale = sorted(known - {name for name, _route in pages()})
    assert not stale, f"rows for pages that no longer exist: {stale}"


def test_every_row_names_only_personas_that_exist():
    for row in ROWS:
        for table in (row.get or {}, row.post or {}):
            assert set(table) <= set(PERSONAS), row.id
        if row.public:
            assert set(row.get) == set(PERSONAS), row.id
    assert len(CELLS) > 1000


def test_the_applicant_is_told_nothing_of_the_earlier_complaints(world):
    """While the business has only applied, its staff see none of its complaints (product §6):
    neither a notification nor a webhook delivery of carol's message on case_pre reaches them."""
    told = Notification.objects.filter(user=world.users[APP])
    delivered = WebhookDelivery.objects.filter(endpoint=world.applicant_webhook)
    assert {
        "notifications": list(told.values_list("event__case__number", "event__type")),
        "webhook deliveries": list(delivered.values_list("event__case__number", "name")),
    } == {"notifications": [], "webhook deliveries": []}
