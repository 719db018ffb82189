from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsumerProfile(models.Model):
    """A consumer (消费者): anyone who signed up to file complaints (product §2)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consumer_profile"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consumer")
        verbose_name_plural = _("consumers")

    def __str__(self) -> str:
        return str(self.user)
