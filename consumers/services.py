from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import MOBILE, User
from core.errors import ValidationFailed

from .models import ConsumerProfile


@transaction.atomic
def consumer_profile_create(*, user, name: str = "", phone: str = "") -> ConsumerProfile:
    """Make ``user`` a consumer, recording the name and phone given at sign-up."""
    fields = []
    if name and user.name != name:
        user.name = name
        fields.append("name")
    if phone and user.phone != phone:
        # A number is a way to sign in only once a code sent to it came back (accounts.adapter).
        user.phone, user.phone_verified = phone, False
        fields += ["phone", "phone_verified"]
    if fields:
        user.save(update_fields=fields)
    profile, _ = ConsumerProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def consumer_for_phone(*, phone: str, name: str = "") -> User:
    """The consumer a complaint taken by phone, letter, visit or the 12345 hotline belongs to:
    the account that verified ``phone``, else a consumer who gave it, else a new account with no
    email and no usable password (the person can sign up with that number later and verify it)."""
    if not MOBILE.fullmatch(phone or ""):
        raise ValidationFailed(
            _("Enter an 11-digit mainland mobile number, e.g. 13812341234."), field="phone"
        )
    user = (
        User.objects.filter(phone=phone, phone_verified=True).first()
        or User.objects.filter(phone=phone, consumer_profile__isnull=False).order_by("-pk").first()
    )
    if user is None:
        user = User(email=None, phone=phone, name=(name or "").strip()[:100])
        user.set_unusable_password()
        user.save()
    ConsumerProfile.objects.get_or_create(user=user)
    return user
