import uuid
from typing import NamedTuple

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.credit_code import validate_credit_code
from core.regions import validate_region_code

# A merchant's contact phone: a mobile number, or a landline with its area code (0351-1234567);
# ASCII digits only.
contact_phone_validator = RegexValidator(
    r"\A\+?[0-9][0-9 -]{5,18}[0-9]\Z",
    _("Enter a phone number: digits, with a dash after the area code if you like."),
    code="invalid_phone",
)


def licence_upload_to(merchant: "Merchant", filename: str) -> str:
    """Return a random storage name for a business licence, keeping only the extension given."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else "bin"
    return f"licences/{uuid.uuid4().hex}.{extension}"


class Merchant(models.Model):
    """A business that can be complained about. Most are never onboarded (product §3)."""

    class OdrStatus(models.TextChoices):
        NOT_ONBOARDED = "not_onboarded", _("not onboarded")
        APPLIED = "applied", _("applied")
        ACTIVE = "active", _("active")
        REJECTED = "rejected", _("rejected")
        SUSPENDED = "suspended", _("suspended")
        EXITED = "exited", _("exited")

    # The ODR statuses whose staff are a party to the merchant's cases (``staff_handle_cases``).
    STAFF_HANDLE_CASES = frozenset({OdrStatus.ACTIVE, OdrStatus.SUSPENDED, OdrStatus.EXITED})

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
    # The proof an application carries (product §3): the legal representative named on the
    # business licence (营业执照) and the licence itself, checked as evidence files are.
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    business_licence = models.FileField(
        _("business licence"), upload_to=licence_upload_to, blank=True
    )
    business_licence_type = models.CharField(max_length=100, blank=True)
    business_licence_sha256 = models.CharField(max_length=64, blank=True)
    # When the latest application took over a business that complaints had already put in the
    # portal: how many complaints it had then (the reviewer is shown them); None for a business
    # the application brought in.
    application_claimed_cases = models.PositiveIntegerField(
        _("complaints on record when applied for"), null=True, blank=True
    )
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
    def business_licence_download_name(self) -> str:
        """The name the business licence is offered under: the credit code, and the extension
        of the type its check found."""
        extension = self.business_licence.name.rpartition(".")[2]
        return f"business-licence-{self.credit_code or self.pk}.{extension}"

    @property
    def receives_complaints_directly(self) -> bool:
        return self.odr_status == self.OdrStatus.ACTIVE

    @property
    def staff_handle_cases(self) -> bool:
        """Whether the merchant's staff are a party to the cases against it: once a regulator
        approved it (active), and still while it is suspended or after it exited, to settle the
        cases it already has (new complaints go to the regulator then). Never while it only
        applied or was rejected: saying one runs a business proves nothing (product §6)."""
        return self.odr_status in self.STAFF_HANDLE_CASES

    def odr_actions(self) -> list[str]:
        """Return the history actions that may move this merchant's ODR status next."""
        return [
            action for action, move in ODR_TRANSITIONS.items() if self.odr_status in move.sources
        ]

    @property
    def can_apply(self) -> bool:
        """Whether an application (or, after a rejection, a new one) may be made now."""
        return MerchantEvent.Action.APPLIED in self.odr_actions()


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

    @property
    def is_owner(self) -> bool:
        """Whether this member manages the merchant's staff, profile, tokens, webhooks and reply
        templates (``merchants.selectors.merchant_owned_by`` asks it of a user)."""
        return self.role == self.Role.OWNER


class MerchantEventIsAppendOnly(Exception):
    """Raised when code tries to change or remove a merchant history entry."""


class MerchantEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise MerchantEventIsAppendOnly("Merchant history cannot be updated.")

    def delete(self):
        raise MerchantEventIsAppendOnly("Merchant history cannot be deleted.")

    update.alters_data = True
    delete.alters_data = True


class MerchantEvent(models.Model):
    """One step of a merchant's onboarding history (product §3): who changed its ODR status, from
    what to what, when and why. Append-only, written only by ``merchants.services``."""

    class Action(models.TextChoices):
        APPLIED = "applied", _("applied to onboard")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUSPENDED = "suspended", _("suspended")
        REINSTATED = "reinstated", _("reinstated")
        EXITED = "exited", _("exited")

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=20, choices=Merchant.OdrStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Merchant.OdrStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"))

    objects = MerchantEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("merchant history entry")
        verbose_name_plural = _("merchant history")
        indexes = [models.Index(fields=["merchant", "created_at"], name="merchant_event_idx")]

    def __str__(self) -> str:
        return f"{self.merchant} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise MerchantEventIsAppendOnly("Merchant history cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise MerchantEventIsAppendOnly("Merchant history cannot be deleted.")


class OdrMove(NamedTuple):
    sources: frozenset[str]
    target: str
    reason_required: bool


_S = Merchant.OdrStatus
# The one table of ODR status moves (product §3), keyed by the history action recording each:
# where it may start, where it ends, and whether the regulator must give a reason.
# ``merchants.services._odr_move`` is the one function that writes ``Merchant.odr_status``.
ODR_TRANSITIONS: dict[str, OdrMove] = {
    MerchantEvent.Action.APPLIED: OdrMove(
        frozenset({_S.NOT_ONBOARDED, _S.REJECTED}), _S.APPLIED, False
    ),
    MerchantEvent.Action.APPROVED: OdrMove(frozenset({_S.APPLIED}), _S.ACTIVE, False),
    MerchantEvent.Action.REJECTED: OdrMove(frozenset({_S.APPLIED}), _S.REJECTED, True),
    MerchantEvent.Action.SUSPENDED: OdrMove(frozenset({_S.ACTIVE}), _S.SUSPENDED, True),
    MerchantEvent.Action.REINSTATED: OdrMove(frozenset({_S.SUSPENDED}), _S.ACTIVE, False),
    MerchantEvent.Action.EXITED: OdrMove(frozenset({_S.ACTIVE}), _S.EXITED, True),
}


class MerchantInvitation(models.Model):
    """An owner's invitation for someone to join the merchant's staff, sent as an emailed link.
    Only the SHA-256 of the link's token is stored."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=MerchantMembership.Role.choices)
    token_sha256 = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        indexes = [models.Index(fields=["merchant", "created_at"], name="invitation_merchant_idx")]

    def __str__(self) -> str:
        return f"{self.email} → {self.merchant}"


class ReplyTemplate(models.Model):
    """A reply that a merchant's staff post often, kept by its owners. ``{case_number}``,
    ``{consumer_name}``, ``{claim}``, ``{deadline}`` and ``{amount}`` are filled in per case."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="reply_templates")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "title"], name="reply_template_title_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class WebhookEndpoint(models.Model):
    """A URL of a merchant's integration that receives signed case events (docs/webhooks.md).

    The secret signs every delivery (HMAC-SHA256); it is shown to the owner once, when the
    endpoint is registered, and kept here because signing needs it. After
    ``ODR_WEBHOOK_DISABLE_AFTER_FAILURES`` failed attempts in a row the endpoint is disabled and
    its owners are told; an owner enables it again.
    """

    class Event(models.TextChoices):
        CASE_SUBMITTED = "case.submitted", _("a complaint is filed")
        CASE_MESSAGE = "case.message", _("a message is posted")
        OFFER_ACCEPTED = "offer.accepted", _("an offer is accepted")
        OFFER_REJECTED = "offer.rejected", _("an offer is rejected")
        CASE_ESCALATED = "case.escalated", _("a case goes to the regulator")
        CASE_CLOSED = "case.closed", _("a case is closed")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80)
    enabled = models.BooleanField(_("enabled"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        indexes = [models.Index(fields=["merchant", "enabled"], name="webhook_merchant_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def event_labels(self) -> list[str]:
        labels = dict(self.Event.choices)
        return [labels[e] for e in self.events if e in labels]

    @property
    def event_choices(self) -> list[tuple[str, str]]:
        """The endpoint's events as (code, label), as pages show them: the label for people, the
        code (what the JSON's ``event`` says) for developers; an event no longer offered shows
        its code."""
        labels = dict(self.Event.choices)
        return [(e, labels.get(e, e)) for e in self.events]


class WebhookDelivery(models.Model):
    """One case event to send to one endpoint, and what came of it: the owner's delivery log.

    Written in the transaction that records the event (the outbox); the relay sends it, and
    tries again after a failure with growing pauses (``next_attempt_at``) until it gives up
    after ``ODR_WEBHOOK_MAX_ATTEMPTS``. The body is kept as sent, so a redelivery sends the same
    bytes under a new signature.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("event"), max_length=40, choices=WebhookEndpoint.Event.choices)
    body = models.TextField()
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the delivery is due: written with it, moved on by a claim's lease or after a failure;
    # NULL once there is nothing more to send.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    # Written by the deadline sweep's waves: sent after the deliveries of what people just did.
    bulk = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
            # The relay's order (cases.notifications._due), so that claiming reads the index from
            # its start instead of sorting every pending row.
            models.Index(
                fields=["bulk", "next_attempt_at", "id"],
                name="webhook_delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.endpoint_id} ({self.status})"
