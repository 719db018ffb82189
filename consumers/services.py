from django.db import transaction

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
