from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task
def heartbeat(name: str = "beat") -> None:
    """Record that the beat scheduler and a worker are alive (shown by /healthz)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})
