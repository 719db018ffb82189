"""API tokens and the service accounts they act as (docs/api.md).

A token is shown once, when it is made; only the SHA-256 of its text is kept. It acts as the
service account of its merchant or office: a user of its own (no password, no email) that stands
on the merchant's staff as an agent, so that the case engine's rules apply to it unchanged and
the event chain shows every change made through the API as the merchant's API user.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ServiceAccount(models.Model):
    """The user every token of one merchant (or one regulator office) acts as."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account"
    )
    merchant = models.OneToOneField(
        "merchants.Merchant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_account",
    )
    office = models.OneToOneField(
        "regulators.Office",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_account",
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("API service account")
        verbose_name_plural = _("API service accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(merchant__isnull=False, office__isnull=True)
                | Q(merchant__isnull=True, office__isnull=False),
                name="service_account_one_owner",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


class ApiToken(models.Model):
    """A credential for an integration: named, scoped, expiring, revocable."""

    class Scope(models.TextChoices):
        READ = "read", _("read only")
        ACT = "act", _("read and act")
        HOTLINE = "hotline", _("12345 hotline intake")

    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    account = models.ForeignKey(
        ServiceAccount, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("acts as")
    )
    # The start of the token, shown in lists so that people can tell their tokens apart.
    prefix = models.CharField(_("starts with"), max_length=12)
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["account", "created_at"], name="api_token_account_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_live(self, now) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @property
    def can_act(self) -> bool:
        return self.scope == self.Scope.ACT
