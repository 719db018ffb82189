"""A transaction that loses a deadlock on PostgreSQL runs once more (core.db)."""

import threading

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from core.db import lost_a_race, retry_once_on_conflict
from core.models import Heartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def crosswise(first: str, second: str, attempts: list, both_locked: threading.Barrier):
    """Lock ``first`` then ``second``; on the first attempt wait until the other thread holds its
    first row, so that the two wait for each other."""

    def work():
        attempts.append(first)
        with transaction.atomic():
            Heartbeat.objects.select_for_update().get(name=first)
            if attempts.count(first) == 1:
                both_locked.wait(timeout=10)
            Heartbeat.objects.select_for_update().get(name=second)
        return first

    return work


def run_both(wrap) -> tuple[list, list, list]:
    attempts, results, errors = [], [], []
    both_locked = threading.Barrier(2)

    def run(first, second):
        try:
            results.append(wrap(crosswise(first, second, attempts, both_locked))())
        except OperationalError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return attempts, results, errors


@pytest.fixture
def rows(require_postgres):
    for name in ("a", "b"):
        Heartbeat.objects.create(name=name, last_seen=timezone.now())


def test_without_the_retry_one_of_two_crosswise_transactions_is_ended(rows):
    _attempts, results, errors = run_both(lambda fn: fn)
    assert len(results) == 1
    assert len(errors) == 1 and lost_a_race(errors[0])


def test_the_transaction_that_lost_the_deadlock_runs_again_and_both_finish(rows):
    attempts, results, errors = run_both(retry_once_on_conflict)
    assert errors == []
    assert sorted(results) == ["a", "b"]
    assert len(attempts) == 3  # the loser ran twice


def test_inside_an_enclosing_transaction_it_runs_once():
    calls = []

    def fails():
        calls.append(1)
        raise OperationalError("not a race")

    with transaction.atomic(), pytest.raises(OperationalError):
        retry_once_on_conflict(fails)()
    assert calls == [1]
