"""A Redis outage delays notifications and webhooks but never loses or doubles one (product §5).

The test runs a Redis server of its own and stops it. Filing, posting a message and making an
offer still succeed at once: their notifications and deliveries are rows written with the
events, and the nudge published after the commit fails fast and harmlessly. Once Redis is back,
a real Celery worker relays everything, each exactly once, although the relay is asked twice.
"""

import logging
import os
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from cases import services
from cases.models import Notification
from cases.tasks import relay_outbox
from merchants.models import WebhookDelivery, WebhookEndpoint
from merchants.webhooks import webhook_endpoint_create
from tests.cases.helpers import offer
from tests.conftest import at
from tests.test_celery_smoke import celery_process, database_url, tail

from .receiver import WebhookReceiver

pytestmark = pytest.mark.services

WAIT_SECONDS = 60


def emails_written(folder: Path) -> list[str]:
    """Return the recipients of the emails the worker wrote (the file email backend)."""
    if not folder.exists():
        return []
    text = "".join(path.read_text(errors="replace") for path in sorted(folder.iterdir()))
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("To:")]


def nothing_pending() -> bool:
    return not (
        Notification.objects.filter(email=Notification.Email.PENDING).exists()
        or WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists()
    )


def wait_until_relayed(worker, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and worker.poll() is None:
        if nothing_pending():
            return
        time.sleep(0.2)
    raise AssertionError(f"the outbox was not relayed in {WAIT_SECONDS}s\n{tail(log)}")


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_delays_notifications_and_webhooks_but_loses_and_doubles_none(
    require_postgres, broker, webhook_settings, file_case, alice, mallory, acme, tmp_path, caplog
):
    real_clock = time_machine.escape_hatch.time.time  # the worker signs on the real clock
    with WebhookReceiver(clock=real_clock) as receiver:
        endpoint, receiver.secret = webhook_endpoint_create(
            merchant=acme, actor=mallory, url=receiver.url, events=WebhookEndpoint.Event.values
        )

        broker.stop()
        took = {}
        with caplog.at_level(logging.WARNING, logger="cases.tasks"):
            started = time.monotonic()
            case = file_case()
            took["file"] = time.monotonic() - started
            started = time.monotonic()
            services.case_post_message(
                case=case, actor=alice, body="请尽快处理", now=at(2026, 3, 2, 11)
            )
            took["message"] = time.monotonic() - started
            started = time.monotonic()
            offer(case, mallory, at(2026, 3, 3, 9))
            took["offer"] = time.monotonic() - started
        assert all(seconds < 1 for seconds in took.values()), took
        assert caplog.text.count("outbox nudge not published") == 3
        # Everything is owed, nothing went out.
        owed = Notification.objects.filter(email=Notification.Email.PENDING)
        assert sorted(owed.values_list("user__email", flat=True)) == [
            alice.email,  # the offer
            mallory.email,  # the complaint
            mallory.email,  # alice's message
        ]
        assert sorted(endpoint.deliveries.values_list("name", flat=True)) == [
            "case.message",
            "case.submitted",
        ]
        assert receiver.requests == []

        broker.start()
        data_dir = tmp_path / "data"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "odr.settings",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(settings.BASE_DIR), os.environ.get("PYTHONPATH", "")) if p
            ),
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "ODR_DATA_DIR": str(data_dir),
            "EMAIL_URL": "filemail:///mail",  # relative to the worker's folder, tmp_path
            "ODR_WEBHOOK_REQUIRE_HTTPS": "0",
            "ODR_WEBHOOK_ALLOWED_ADDRESSES": "127.0.0.1",
        }
        worker_args = ["worker", "--loglevel=INFO", "--pool=solo"]
        worker_args += ["--without-mingle", "--without-gossip"]
        log = tmp_path / "worker.log"
        with celery_process(worker_args, env=env, cwd=tmp_path, log=log) as worker:
            relay_outbox.delay()
            relay_outbox.delay()  # a duplicated message: the second run finds nothing to do
            wait_until_relayed(worker, log)
            # With Redis back, a change is relayed by its own nudge, without waiting for beat.
            services.case_post_message(
                case=case, actor=mallory, body="已收到，正在处理", now=at(2026, 3, 3, 10)
            )
            assert not nothing_pending()
            wait_until_relayed(worker, log)
            time.sleep(1)  # anything sent twice would arrive now

    emails = emails_written(tmp_path / "mail")
    assert sorted(emails) == sorted([mallory.email, mallory.email, alice.email, alice.email])
    assert not Notification.objects.exclude(
        email__in=[Notification.Email.SENT, Notification.Email.NONE]
    ).exists()
    assert all(request["verified"] for request in receiver.requests)
    case.refresh_from_db()
    delivered = {f"{case.number}.{seq}" for seq in (1, 2, case.last_event_seq)}
    assert dict(receiver.accepted) == dict.fromkeys(delivered, 1)
    assert len(receiver.requests) == 3
    assert set(endpoint.deliveries.values_list("status", flat=True)) == {"delivered"}
