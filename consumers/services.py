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
        user.phone = phone
        fields.append("phone")
    if fields:
        user.save(update_fields=fields)
    profile, _ = ConsumerProfile.objects.get_or_create(user=user)
    return profile
