"""The example integration in docs/ runs against a live server with nothing but the documented
API: it lists new complaints, acknowledges each, posts a message and offers a refund."""

import subprocess
import sys

from django.conf import settings

from api.models import ServiceAccount
from api.services import api_token_create
from cases.models import CaseEvent, Offer, Status
from tests.conftest import at

SCRIPT = settings.BASE_DIR / "docs" / "api-client-example.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def test_the_example_client_handles_new_complaints(
    live_server, transactional_db, file_case, acme, mallory, alice
):
    first, second = file_case(), file_case(amount_claimed="88.00")
    _token, text = api_token_create(merchant=acme, actor=mallory, name="example", scope="act")
    fulfil_by = at(2026, 3, 20).date().isoformat()
    common = ("--base-url", live_server.url, "--token", text)

    listed = run(*common, "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert "2 new complaint(s)" in listed.stdout and first.number in listed.stdout

    done = run(*common, "--fulfil-by", fulfil_by)
    assert done.returncode == 0, done.stderr
    api_user = ServiceAccount.objects.get(merchant=acme).user
    for case, amount in ((first, "299.00"), (second, "88.00")):
        case.refresh_from_db()
        assert case.status == Status.NEGOTIATING
        events = CaseEvent.objects.filter(case=case, actor=api_user)
        assert {"acknowledged", "message_posted", "offer_made"} <= set(
            events.values_list("type", flat=True)
        )
        assert str(Offer.objects.get(case=case).amount) == amount
        assert f"{case.number}: acknowledged, message posted, refund of {amount}" in done.stdout

    again = run(*common, "--fulfil-by", fulfil_by)
    assert again.returncode == 0 and "0 new complaint(s)" in again.stdout


def test_the_example_client_reports_a_refusal(
    live_server, transactional_db, file_case, acme, mallory
):
    file_case()
    _token, text = api_token_create(merchant=acme, actor=mallory, name="reports", scope="read")
    refused = run(
        "--base-url",
        live_server.url,
        "--token",
        text,
        "--fulfil-by",
        at(2026, 12, 1).date().isoformat(),
    )
    assert refused.returncode == 1
    assert "403 token_read_only" in refused.stderr
