"""Which of the roles of product §2 a signed-in person holds."""

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONSUMER = "consumer", _("consumer")
    MERCHANT = "merchant", _("merchant staff")
    REGULATOR = "regulator", _("regulator staff")
    ADMIN = "admin", _("platform admin")


# The one-to-one rows that give a person a role; ``accounts.backends`` loads them with the user.
ROLE_RELATIONS = ("regulator_membership", "merchant_membership", "consumer_profile")


def _related(user, name: str):
    try:
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None


def regulator_membership(user):
    return _related(user, "regulator_membership") if user.is_authenticated else None


def merchant_membership(user):
    return _related(user, "merchant_membership") if user.is_authenticated else None


def consumer_profile(user):
    return _related(user, "consumer_profile") if user.is_authenticated else None


def role_of(user) -> Role | None:
    """Return the role whose home page the person lands on; staff roles win over consumer."""
    if not user.is_authenticated:
        return None
    if regulator_membership(user):
        return Role.REGULATOR
    if merchant_membership(user):
        return Role.MERCHANT
    if consumer_profile(user):
        return Role.CONSUMER
    if user.is_staff:
        return Role.ADMIN
    return None
