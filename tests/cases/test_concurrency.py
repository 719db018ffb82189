"""Mixed traffic on one merchant's cases at once, on PostgreSQL: filings, messages, offers,
acceptances and fulfilment from several threads (each its own connection, as gunicorn's workers
are) run without a single deadlock. The services are called directly, without the retry the
pages and the API add (core.db.retry_once_on_conflict), so a deadlock cannot hide."""

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from cases import services
from cases.models import Case, Status
from core.db import lost_a_race
from tests import factories as f

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROUNDS = 12


def fulfil_by():
    return (timezone.localtime() + timedelta(days=10)).date()


def run_threads(workers) -> tuple[list[str], list[str]]:
    """Start every worker at once; return the deadlocks and the other errors they met."""
    start, races, errors = threading.Barrier(len(workers)), [], []

    def run(work):
        try:
            start.wait()
            for _ in range(ROUNDS):
                work()
        except OperationalError as error:
            (races if lost_a_race(error) else errors).append(repr(error))
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    close_old_connections()
    return races, errors


def test_mixed_actions_on_one_merchants_cases_never_deadlock(
    require_postgres, file_case, alice, bob, mallory, acme
):
    agent = f.MerchantMembershipFactory(merchant=acme, role="agent").user
    carol = f.ConsumerFactory(email="carol@example.cn", phone="13700001111")
    now = timezone.now()
    talking = [file_case(consumer=c, now=now - timedelta(hours=2)) for c in (alice, bob, carol)]
    for case in talking:
        services.case_acknowledge(case=case, actor=mallory, now=now - timedelta(hours=1))
    bargaining = file_case(consumer=bob, now=now - timedelta(hours=2))
    settling = [file_case(consumer=alice, now=now - timedelta(hours=2)) for _ in range(ROUNDS)]

    def filing():
        file_case(consumer=carol, now=timezone.now())

    def messages(case, people):
        turn = iter(range(10**6))

        def work():
            person = people[next(turn) % len(people)]
            services.case_post_message(case=Case.objects.get(pk=case.pk), actor=person, body="在吗")

        return work

    def offers_and_rejections():
        case = Case.objects.get(pk=bargaining.pk)
        services.offer_make(
            case=case,
            actor=agent,
            remedy="refund",
            amount="50.00",
            fulfil_by=fulfil_by(),
            text="退款五十元",
        )
        services.offer_reject(case=Case.objects.get(pk=case.pk), actor=bob, reason="太少")

    pending = iter(settling)

    def settlements():
        case = next(pending)
        services.offer_make(
            case=case,
            actor=mallory,
            remedy="refund",
            amount="99.00",
            fulfil_by=fulfil_by(),
            text="退款",
        )
        services.offer_accept(case=Case.objects.get(pk=case.pk), actor=alice)
        services.agreement_mark_fulfilled(case=Case.objects.get(pk=case.pk), actor=agent)

    races, errors = run_threads(
        [
            filing,
            filing,
            messages(talking[0], [alice, mallory]),
            messages(talking[1], [bob, agent]),
            messages(talking[2], [carol, mallory, agent]),
            offers_and_rejections,
            settlements,
        ]
    )

    assert races == []
    assert errors == []
    assert Case.objects.filter(merchant=acme, consumer=carol).count() == 1 + 2 * ROUNDS
    assert Case.objects.filter(pk__in=[c.pk for c in settling], status=Status.SETTLED).count() == (
        ROUNDS
    )
