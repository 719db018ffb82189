"""Personas and shared fixtures.

The office tree: national → Shanxi (140000) → Taiyuan (140100) → Xiaodian (140105) and
Yingze (140106). Merchants sit in Xiaodian unless a test says otherwise.

alice    consumer                 bob      consumer (another one)
mallory  owner of Acme (active)   trent    owner of Other Co (another merchant)
olivia   officer, Xiaodian        sam      supervisor, Taiyuan (sees Xiaodian's cases)
yves     officer, Yingze (another county office)

Every test runs on a frozen clock (see `_frozen_clock`): Wednesday 2026-03-04 10:00 in Shanghai,
an ordinary working week, unless ODR_TEST_NOW names another instant. CI runs the suite a second
time inside Spring Festival week (ODR_TEST_NOW=2026-02-18T10:00:00+08:00) to prove that no test
depends on the day it runs: dates a test types are counted from the suite's day (``TODAY``,
``days_from_today``, ``on_day``). The few worked examples of the statutory calendar, values
counted by hand for one week, say so in their name (``_as_counted_for_wed_4_march``) and stand
the clock at that week (``wed_4_march``).
"""

import os
import socket
import sys
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.template import TemplateSyntaxError

from accounts.roles import regulator_membership
from accounts.totp import totp_activate_with_secret
from cases import services
from cases.deadlines import SHANGHAI
from core.cached import forget_all
from regulators.models import Office
from tests import factories as f


class MissingTemplateVariable(str):
    """``string_if_invalid`` for the whole suite: a template that reads a variable its context
    lacks fails the test instead of rendering an empty string (or, in a filter's argument, a
    500 in production that no test saw).

    Django formats the missing name into ``string_if_invalid`` when it contains ``%s``; that is
    where this raises. ``{% if %}``, ``{% for %}`` and ``{% firstof %}`` ignore missing variables
    by design and are not affected.
    """

    def __mod__(self, name):
        # The template being rendered, from the caller (``FilterExpression.resolve``): only the
        # portal's own templates are held to this; those of Django's admin and of allauth read
        # optional variables by design.
        context = sys._getframe(1).f_locals.get("context")
        origin = getattr(getattr(getattr(context, "template", None), "origin", None), "name", "")
        if not _portal_template(str(origin or "")):
            return ""
        raise TemplateSyntaxError(f"template variable missing from the context: {name!r}")


def _portal_template(path: str) -> bool:
    base = str(settings.BASE_DIR)
    return path.startswith(base + os.sep) and not path.startswith(
        (os.path.join(base, ".venv"), os.path.join(base, ".helpdesk-venv"))
    )


def pytest_configure(config):
    # Before any test renders a template: the engines are built on first use from TEMPLATES.
    settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = MissingTemplateVariable("%s")


def service_missing(message: str) -> None:
    """A service or program of this machine that a test needs is missing: fail when
    ODR_REQUIRE_SERVICES says everything must run (CI), else skip with the reason."""
    if settings.ODR_REQUIRE_SERVICES:
        pytest.fail(message + " (ODR_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is missing, or fail when ODR_REQUIRE_SERVICES says it must run."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        service_missing(f"{name} is not reachable at {host}:{port}")


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (set DATABASE_URL)")


def at(*args) -> datetime:
    """Return an aware Asia/Shanghai datetime: at(2026, 2, 13, 10)."""
    return datetime(*args, tzinfo=SHANGHAI)


def sign_in(client, user) -> None:
    """Sign ``user`` in; regulator staff and platform admins first get their (required) second
    factor."""
    if user.is_staff or regulator_membership(user):
        totp_activate_with_secret(user, "JBSWY3DPEHPK3PXP")
    client.force_login(user)


def _instant_from_environment() -> datetime:
    """Return the instant every test starts at: ODR_TEST_NOW, or Wed 2026-03-04 10:00 Shanghai."""
    value = os.environ.get("ODR_TEST_NOW", "").strip()
    if not value:
        return at(2026, 3, 4, 10)
    instant = datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=SHANGHAI)


TEST_NOW = _instant_from_environment()
# The suite's day in Shanghai: dates a test types into a form or sends to the API are counted
# from it, so that they mean the same (a purchase last week, a promise next week) on any day.
TODAY = TEST_NOW.astimezone(SHANGHAI).date()

# The instant of the worked examples: values counted by hand on the statutory calendar for one
# ordinary week (days left, the date a deadline falls on, figures of cases filed on given days).
# A test that checks such values cannot follow ODR_TEST_NOW; it asks for ``wed_4_march`` and its
# name ends ``_as_counted_for_wed_4_march``. Every other test follows the suite's clock.
WORKED_EXAMPLE_NOW = at(2026, 3, 4, 10)


def days_from_today(days: int) -> str:
    """The ISO date ``days`` after the suite's day (before it when negative)."""
    return (TODAY + timedelta(days=days)).isoformat()


def on_day(days: int, hour: int, minute: int = 0) -> datetime:
    """``hour``:``minute`` in Shanghai on the day ``days`` after the suite's day."""
    day = TODAY + timedelta(days=days)
    return at(day.year, day.month, day.day, hour, minute)


@pytest.fixture
def wed_4_march(time_machine):
    """Stand the clock still at Wed 2026-03-04 10:00 Shanghai, whatever ODR_TEST_NOW says: for
    the worked examples (``WORKED_EXAMPLE_NOW``)."""
    time_machine.move_to(WORKED_EXAMPLE_NOW, tick=False)


@pytest.fixture(autouse=True)
def _frozen_clock():
    # The clock keeps ticking from TEST_NOW: live servers, browsers and workers need time to pass.
    with time_machine.travel(TEST_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _no_process_copies():
    # The policy and calendar copies of an earlier test may hold rows its rollback removed.
    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness only slows the suite; hashing itself is Django's business.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Files a test stores (evidence, business licences) go to a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The production manifest storage needs `collectstatic`; tests serve the source files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    # Tests run tasks in-process; the worker smoke test starts a real worker instead.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Each commit nudges the relay at once (tests read the emails right after the action).
    settings.ODR_OUTBOX_NUDGE_SECONDS = 0
    from odr.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def offices(db):
    national = f.OfficeFactory(name="国家市场监督管理总局", region_code="000000", level=0)
    shanxi = f.OfficeFactory(
        name="山西省市场监管局", region_code="140000", level=1, parent=national
    )
    taiyuan = f.OfficeFactory(name="太原市市场监管局", region_code="140100", level=2, parent=shanxi)
    xiaodian = f.OfficeFactory(
        name="小店区市场监管局", region_code="140105", level=3, parent=taiyuan
    )
    yingze = f.OfficeFactory(name="迎泽区市场监管局", region_code="140106", level=3, parent=taiyuan)
    return {o.region_code: o for o in (national, shanxi, taiyuan, xiaodian, yingze)}


@pytest.fixture
def xiaodian(offices) -> Office:
    return offices["140105"]


@pytest.fixture
def alice(db):
    return f.ConsumerFactory(email="alice@example.cn", name="王爱丽", phone="13812341234")


@pytest.fixture
def bob(db):
    return f.ConsumerFactory(email="bob@example.cn", name="李博", phone="13900001111")


@pytest.fixture
def acme(db):
    return f.MerchantFactory(name="爱克美商贸有限公司")


@pytest.fixture
def mallory(acme):
    return f.MerchantMembershipFactory(user__email="mallory@acme.cn", merchant=acme).user


@pytest.fixture
def trent(db):
    return f.MerchantMembershipFactory(user__email="trent@other.cn", merchant__name="别家公司").user


@pytest.fixture
def olivia(offices):
    return f.RegulatorMembershipFactory(user__email="olivia@samr.cn", office=offices["140105"]).user


@pytest.fixture
def sam(offices):
    return f.RegulatorMembershipFactory(
        user__email="sam@samr.cn", office=offices["140100"], role="supervisor"
    ).user


@pytest.fixture
def yves(offices):
    return f.RegulatorMembershipFactory(user__email="yves@samr.cn", office=offices["140106"]).user


@pytest.fixture
def file_case(alice, acme, offices):
    """File a complaint by alice against acme (or as given) at Mon 2026-03-02 10:00 (or ``now``)."""

    def file(consumer=None, merchant=None, now=None, **fields):
        defaults = {
            "subject": "耳机无法开机",
            "facts": "收到的耳机无法开机。",
            "claim": "退货退款",
            "amount_claimed": "299.00",
        }
        defaults.update(fields)
        return services.case_file(
            consumer=consumer or alice,
            merchant=merchant or acme,
            now=now or at(2026, 3, 2, 10),
            **defaults,
        )

    return file


@pytest.fixture
def artifacts_dir():
    path = os.environ.get("ODR_TEST_ARTIFACTS", str(settings.BASE_DIR / "test-artifacts"))
    os.makedirs(path, exist_ok=True)
    return path
