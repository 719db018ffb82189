"""Consumers matched by phone for complaints taken off-line (product §2)."""

import pytest

from accounts.models import User
from consumers.services import consumer_for_phone
from core.errors import ValidationFailed
from tests import factories as f


def test_the_account_that_verified_the_number_is_the_consumer(db):
    owner = f.ConsumerFactory(phone="13912345678", phone_verified=True)
    f.ConsumerFactory(phone="13912345678")  # gave it, never verified
    assert consumer_for_phone(phone="13912345678", name="x") == owner


def test_a_consumer_who_gave_the_number_is_found_without_a_verified_one(alice):
    assert consumer_for_phone(phone=alice.phone) == alice


def test_an_unknown_number_gets_a_new_consumer_without_email_or_password(db):
    user = consumer_for_phone(phone="13700001111", name="赵六")
    assert (user.email, user.phone, user.name) == (None, "13700001111", "赵六")
    assert not user.has_usable_password()
    assert user.consumer_profile is not None
    assert consumer_for_phone(phone="13700001111") == user  # the second time, the same
    assert User.objects.count() == 1


def test_a_malformed_number_is_refused(db):
    with pytest.raises(ValidationFailed):
        consumer_for_phone(phone="0351-123456")
