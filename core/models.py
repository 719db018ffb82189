from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When each periodic process last ran; one row per name. /healthz reports it."""

    name = models.CharField(max_length=50, primary_key=True)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")

    def __str__(self) -> str:
        return f"{self.name} {self.last_seen.isoformat()}"


class CalendarOverride(models.Model):
    """An admin's correction to the statutory calendar for one date; it wins over the package."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"), help_text=_("Ticked for a make-up working day, unticked for a holiday.")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """A year whose official holiday arrangement an admin has entered as overrides.

    A year is "covered" when the calendar package knows it or a row here says it is published;
    deadlines that fall in a year not covered are provisional (product §5).
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    published = models.BooleanField(
        _("official calendar entered"),
        default=False,
        help_text=_(
            "Tick once every holiday and make-up working day of the year is entered; open "
            "provisional deadlines are then recomputed."
        ),
    )

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class AuditEntryIsAppendOnly(Exception):
    """Raised when code tries to change or remove an audit entry: the log only grows."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEntryIsAppendOnly("Audit entries cannot be updated.")

    def delete(self):
        raise AuditEntryIsAppendOnly("Audit entries cannot be deleted.")

    update.alters_data = True
    delete.alters_data = True


class AuditEntry(models.Model):
    """Who did what, when, from where, with which outcome (product §6). Append-only.

    Written only by ``core.audit.audit_record``. The application never updates or deletes a row:
    ``save()`` on a stored entry, ``delete()`` and the queryset's ``update()``/``delete()`` raise
    ``AuditEntryIsAppendOnly``.
    """

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("failed sign-in")
        SIGN_OUT = "sign_out", _("signed out")
        NOT_FOUND = "not_found", _("answered not found")
        CONTACT_UNMASKED = "contact_unmasked", _("saw unmasked contact details")
        EXPORT = "export", _("exported personal data")
        TRACK_FAILED = "track_failed", _("failed case tracking")
        STAFF_INVITED = "staff_invited", _("invited to a merchant's staff")
        INVITATION_REVOKED = "invitation_revoked", _("revoked a staff invitation")
        STAFF_JOINED = "staff_joined", _("joined a merchant's staff")
        STAFF_ROLE_CHANGED = "staff_role_changed", _("changed a staff role")
        STAFF_REMOVED = "staff_removed", _("removed from a merchant's staff")
        MERCHANT_PROFILE_UPDATED = "merchant_profile_updated", _("updated a merchant's profile")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        DENIED = "denied", _("denied")
        FAILED = "failed", _("failed")

    created_at = models.DateTimeField(
        _("when"), default=timezone.now, editable=False, db_index=True
    )
    # PROTECT, as for case events: removing a person must not rewrite the log. Anonymous visitors
    # and failed sign-ins have no user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The signed-in user's email at the time, or for a failed sign-in the login typed: what an
    # investigation of an attack searches by. An email address is at most 254 characters.
    actor_label = models.CharField(_("who"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=512, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    target_type = models.CharField(_("target type"), max_length=32, blank=True)
    target = models.CharField(_("target"), max_length=254, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-created_at"], name="audit_actor_newest_idx"),
            models.Index(fields=["target", "-created_at"], name="audit_target_newest_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_label or "-"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.target}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditEntryIsAppendOnly("Audit entries cannot be updated.")
        # An INSERT, never an UPDATE, even when a primary key was given.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise AuditEntryIsAppendOnly("Audit entries cannot be deleted.")

    delete.alters_data = True


# When a row of the outbox (a notification email, a webhook delivery) is due for its first
# attempt: at once. An instant long past rather than NULL, so that every pending row sorts in the
# relay's index order (first attempts by age, before the retries that are due).
OUTBOX_DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)
