"""Sign-up and password reset do not tell whether an email address has an account (product §6,
"Guessing"): the same answers, and for the reset the same work in the request."""

import re

import pytest
from celery.signals import before_task_publish
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from accounts.tasks import password_reset_mail_send
from odr.celery import app as celery_app

# A Redis server of the test's own, as the broker, that the test stops.
from tests.notifications.conftest import broker, redis_server  # noqa: F401

from .helpers import sms_code

SIGNUP = reverse("account_signup")
VERIFY = reverse("account_verify_phone")
RESET = reverse("account_reset_password")
NEW_PASSWORD = "Zhuce-mima-2026!"
FREE = "xiaoming@example.cn"


def without_csrf(html: str) -> str:
    """``html`` without its CSRF tokens, which differ from one session to the next."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def walk_through_sign_up(email: str, phone: str, *, fresh: bool = True) -> list[tuple]:
    """Sign up with ``email`` and ``phone`` in a browser of its own, type the code texted to
    the number, and return every answer on the way (status, where it leads, the page), with the
    email and the number replaced by placeholders. ``fresh``: with no rate limit used yet."""
    if fresh:
        cache.clear()
    client = Client()

    def seen(response) -> tuple:
        body = without_csrf(response.content.decode())
        body = body.replace(email.lower(), "EMAIL").replace(phone, "PHONE")
        return response.status_code, response.get("Location"), body

    form = {"name": "王小明", "phone": phone, "email": email}
    signed_up = client.post(SIGNUP, {**form, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    answers = [seen(signed_up)]
    if signed_up.status_code != 302:
        return answers
    answers.append(seen(client.get(signed_up["Location"])))
    verified = client.post(VERIFY, {"code": sms_code(phone)})
    answers.append(seen(verified))
    answers.append(seen(client.get(verified["Location"])))  # the message that a mail was sent
    return answers


@pytest.mark.parametrize("typed", ["alice@example.cn", "Alice@Example.CN"])
def test_signing_up_with_the_email_of_an_account_answers_as_with_a_free_one(alice, typed):
    taken = walk_through_sign_up(typed, "13912345678")
    free = walk_through_sign_up(FREE, "13912345679")

    assert taken == free
    assert [status for status, _, _ in taken] == [302, 200, 302, 200]
    # The account is made without the address of another one; that one is untouched.
    made = User.objects.get(phone="13912345678")
    assert made.email is None and made.phone_verified
    assert not made.emailaddress_set.exists()
    assert User.objects.get(pk=alice.pk).email == "alice@example.cn"
    # The owner of the address hears of it; the new address gets its confirmation.
    assert [m.to for m in mail.outbox] == [["alice@example.cn"], [FREE]]
    with translation.override("zh-hans"):
        assert gettext("Account Already Exists") in mail.outbox[0].subject
    assert "/accounts/confirm-email/" in mail.outbox[1].body
    assert "/accounts/confirm-email/" not in mail.outbox[0].body


def test_the_owner_of_the_address_is_told_once_however_often_it_is_tried(alice):
    for n in range(3):
        walk_through_sign_up("alice@example.cn", f"1391234567{n}", fresh=False)

    # The limit of mails to one address (allauth's confirm_email) holds for these too.
    assert [m.to for m in mail.outbox] == [["alice@example.cn"]]


# --- Password reset ----------------------------------------------------------------------------


def reset(client, email: str):
    return client.post(RESET, {"email": email})


def test_a_reset_answers_alike_for_an_account_and_for_an_unknown_address(alice):
    answers = []
    for email in ("alice@example.cn", "nobody@example.cn"):
        client = Client()
        response = reset(client, email)
        page = client.get(response["Location"])
        body = without_csrf(page.content.decode())
        answers.append((response.status_code, response["Location"], page.status_code, body))

    assert answers[0] == answers[1]
    assert answers[0][:3] == (302, reverse("account_reset_password_done"), 200)


def test_a_reset_hands_the_address_to_a_worker_and_does_the_same_work_either_way(alice):
    published = []

    def capture(sender=None, body=None, **kwargs):
        published.append((sender, body[0]))

    requests = {}
    before_task_publish.connect(capture)
    celery_app.conf.task_always_eager = False
    try:
        for email in ("alice@example.cn", "nobody@example.cn"):
            with CaptureQueriesContext(connection) as queries:
                response = reset(Client(), email)
            assert response.status_code == 302
            requests[email] = [q["sql"].replace(email, "EMAIL") for q in queries]
    finally:
        celery_app.conf.task_always_eager = True
        before_task_publish.disconnect(capture)
        celery_app.control.purge()

    # Nothing was looked up nor sent while the person waited, for either address.
    assert requests["alice@example.cn"] == requests["nobody@example.cn"]
    assert not any("accounts_user" in sql for sql in requests["alice@example.cn"])
    assert mail.outbox == []
    # One task each, carrying the address and where the site was reached, never a token.
    assert [task for task, _ in published] == ["accounts.tasks.password_reset_mail"] * 2
    (_, (email, origin)), (_, (other, other_origin)) = published
    assert (email, other) == ("alice@example.cn", "nobody@example.cn")
    assert origin == other_origin
    assert origin["host"] == "testserver" and origin["scheme"] == "http"

    # The worker sends the one mail or the other.
    password_reset_mail_send(email, origin)
    password_reset_mail_send(other, other_origin)
    to_alice, to_nobody = mail.outbox
    assert to_alice.to == ["alice@example.cn"] and "/accounts/password/reset/key/" in to_alice.body
    assert to_nobody.to == ["nobody@example.cn"]
    assert "/accounts/password/reset/key/" not in to_nobody.body


def test_with_the_broker_down_the_reset_mail_is_sent_from_the_request(broker, alice):  # noqa: F811
    broker.stop()

    response = reset(Client(), "alice@example.cn")

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["alice@example.cn"] and "/accounts/password/reset/key/" in message.body


def test_the_reset_link_made_by_the_worker_sets_a_new_password(client, alice):
    reset(client, "alice@example.cn")  # tasks run at once in the tests

    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", message.body)[1]
    form_page = client.get(link)
    assert form_page.status_code == 302  # allauth moves the key out of the address
    done = client.post(
        form_page["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_resetting_a_password_does_not_empty_the_addresss_allowance_of_failed_sign_ins(alice):
    client = Client(REMOTE_ADDR="100.64.0.9")
    for n in range(10):  # a password sprayer uses up the address's allowance ...
        client.post(reverse("account_login"), {"login": f"user{n}@example.cn", "password": "1"})
    reset(client, "alice@example.cn")  # ... and resets the password of an account of its own
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body)[1]
    form_page = client.get(link)
    client.post(form_page["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # The address still waits (the account's own failures are forgotten, not the address's).
    signed_in = client.post(
        reverse("account_login"), {"login": "alice@example.cn", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_reset_mail_is_in_the_language_of_the_page(alice, language):
    client = Client()
    client.cookies["django_language"] = language
    reset(client, "alice@example.cn")

    with translation.override(language):
        expected = gettext("Password Reset Email")
    [message] = mail.outbox
    assert expected in message.subject
