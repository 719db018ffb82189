from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.credit_code import validate_credit_code
from core.regions import validate_region_code


class Merchant(models.Model):
    """A business that can be complained about. Most are never onboarded (product §3)."""

    class OdrStatus(models.TextChoices):
        NOT_ONBOARDED = "not_onboarded", _("not onboarded")
        APPLIED = "applied", _("applied")
        ACTIVE = "active", _("active")
        REJECTED = "rejected", _("rejected")
        SUSPENDED = "suspended", _("suspended")
        EXITED = "exited", _("exited")

    class Pledge(models.TextChoices):
        OFFLINE_7_DAY_RETURN = (
            "offline_7_day_return",
            _("7-day no-reason return for offline purchases"),
        )
        ADVANCE_COMPENSATION = "advance_compensation", _("compensation paid in advance")
        QUICK_REFUND = "quick_refund", _("quick refund")

    name = models.CharField(_("business name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    region_code = models.CharField(
        _("region code"), max_length=9, validators=[validate_region_code], db_index=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    odr_status = models.CharField(
        _("ODR status"),
        max_length=20,
        choices=OdrStatus.choices,
        default=OdrStatus.NOT_ONBOARDED,
        db_index=True,
    )
    odr_status_reason = models.TextField(_("reason for the ODR status"), blank=True)
    undertaking_accepted_at = models.DateTimeField(
        _("complaint-handling undertaking accepted at"), null=True, blank=True
    )
    pledges = models.JSONField(_("pledges"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        indexes = [models.Index(fields=["name"], name="merchant_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def pledge_labels(self) -> list[str]:
        """The merchant's pledges worded for people (unknown keys are left out)."""
        labels = dict(self.Pledge.choices)
        return [labels[p] for p in self.pledges if p in labels]

    @property
    def receives_complaints_directly(self) -> bool:
        return self.odr_status == self.OdrStatus.ACTIVE


class MerchantMembership(models.Model):
    """Staff of one merchant (product §2)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        AGENT = "agent", _("agent")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_membership"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant staff")
        verbose_name_plural = _("merchant staff")

    def __str__(self) -> str:
        return f"{self.user} ({self.merchant}, {self.get_role_display()})"
