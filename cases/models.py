import operator
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.cached import ProcessCopy

GENESIS_HASH = "0" * 64


def default_settle_reminders() -> list[int]:
    return [3, 1]


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    NEGOTIATING = "negotiating", _("negotiating")
    NOT_SETTLED = "not_settled", _("not settled")
    SETTLED = "settled", _("settled, awaiting fulfilment")
    REGULATOR_INTAKE = "regulator_intake", _("awaiting acceptance by the regulator")
    MEDIATION = "mediation", _("in mediation")
    CLOSED = "closed", _("closed")


class Resolution(models.TextChoices):
    SETTLED = "settled", _("settled")
    WITHDRAWN = "withdrawn", _("withdrawn")
    NOT_SETTLED = "not_settled", _("not settled")
    NOT_ACCEPTED = "not_accepted", _("not accepted")
    MEDIATION_FAILED = "mediation_failed", _("mediation failed")
    MEDIATION_EXPIRED = "mediation_expired", _("mediation expired")


# The case state machine (product §4): for each status, the (status, resolution) pairs it may move
# to. Only ``cases.op.Op.transition`` writes ``Case.status`` and it refuses anything else. A new
# case enters one of ``INITIAL_STATUSES`` through the same function.
TRANSITIONS: dict[str, frozenset[tuple[str, str]]] = {
    Status.SUBMITTED: frozenset(
        {
            (Status.NEGOTIATING, ""),
            (Status.REGULATOR_INTAKE, ""),
            (Status.CLOSED, Resolution.WITHDRAWN),
        }
    ),
    Status.NEGOTIATING: frozenset(
        {
            (Status.SETTLED, ""),
            (Status.NOT_SETTLED, ""),
            (Status.REGULATOR_INTAKE, ""),
            (Status.CLOSED, Resolution.WITHDRAWN),
        }
    ),
    Status.NOT_SETTLED: frozenset(
        {(Status.REGULATOR_INTAKE, ""), (Status.CLOSED, Resolution.NOT_SETTLED)}
    ),
    Status.SETTLED: frozenset(
        {
            (Status.CLOSED, Resolution.SETTLED),
            (Status.REGULATOR_INTAKE, ""),
            (Status.CLOSED, Resolution.MEDIATION_FAILED),
        }
    ),
    Status.REGULATOR_INTAKE: frozenset(
        {
            (Status.MEDIATION, ""),
            (Status.CLOSED, Resolution.NOT_ACCEPTED),
            (Status.REGULATOR_INTAKE, ""),
            (Status.CLOSED, Resolution.WITHDRAWN),
        }
    ),
    Status.MEDIATION: frozenset(
        {
            (Status.SETTLED, ""),
            (Status.CLOSED, Resolution.MEDIATION_FAILED),
            (Status.CLOSED, Resolution.MEDIATION_EXPIRED),
            (Status.CLOSED, Resolution.WITHDRAWN),
        }
    ),
    Status.CLOSED: frozenset(),
}
INITIAL_STATUSES = frozenset({Status.SUBMITTED, Status.REGULATOR_INTAKE})


# Every deadline a case can carry (product §4–5): the one table the deadline columns, the sweep's
# timers, the provisional recomputation and the pages are derived from. What happens when each
# passes is ``cases.due.ON_DUE``, keyed the same way.
WORKING_DAYS, CALENDAR_DAYS, ON_DATE = "working_days", "calendar_days", "date"


@dataclass(frozen=True)
class DeadlineKind:
    """One deadline: ``{key}_due_at`` on the case, live only while the case is in ``live_in``."""

    key: str
    unit: str
    live_in: frozenset[str]
    # The DeadlinePolicy field giving its length; None when the parties set it (a date).
    policy_days: str | None = None
    # The status whose entry starts it (None: a service starts it, e.g. when an offer is made).
    starts_on: str | None = None
    # The DeadlinePolicy field giving the working days before it at which to remind.
    reminders: str | None = None
    # The case flag that records it was missed, for deadlines that do not move the case on.
    missed_flag: str | None = None

    @property
    def due_field(self) -> str:
        return f"{self.key}_due_at"

    @property
    def provisional_field(self) -> str | None:
        """Working-day deadlines can be provisional (a year whose calendar is not yet known)."""
        return f"{self.key}_due_provisional" if self.unit == WORKING_DAYS else None

    def due_at(self, case: "Case") -> "datetime | None":
        return getattr(case, self.due_field)

    def is_provisional(self, case: "Case") -> bool:
        return bool(self.provisional_field and getattr(case, self.provisional_field))

    def is_missed(self, case: "Case") -> bool:
        return bool(self.missed_flag and getattr(case, self.missed_flag))


def _kind(key, unit, live_in, **options) -> DeadlineKind:
    return DeadlineKind(key, unit, frozenset(live_in), **options)


S = Status
DEADLINES: dict[str, DeadlineKind] = {
    kind.key: kind
    for kind in (
        _kind(
            "acknowledge",
            WORKING_DAYS,
            {S.SUBMITTED},
            policy_days="acknowledge_working_days",
            starts_on=S.SUBMITTED,
            missed_flag="acknowledge_late",
        ),
        _kind(
            "settle",
            WORKING_DAYS,
            {S.SUBMITTED, S.NEGOTIATING},
            policy_days="settle_working_days",
            starts_on=S.SUBMITTED,
            reminders="settle_reminder_working_days",
            missed_flag="settle_late",
        ),
        _kind(
            "choice",
            CALENDAR_DAYS,
            {S.NOT_SETTLED},
            policy_days="not_settled_choice_days",
            starts_on=S.NOT_SETTLED,
        ),
        _kind(
            "offer",
            CALENDAR_DAYS,
            {S.SUBMITTED, S.NEGOTIATING, S.MEDIATION},
            policy_days="offer_response_days",
        ),
        _kind("fulfil", ON_DATE, {S.SETTLED}, missed_flag="fulfilment_overdue"),
        _kind("confirm", CALENDAR_DAYS, {S.SETTLED}, policy_days="confirm_days"),
        _kind(
            "intake",
            WORKING_DAYS,
            {S.REGULATOR_INTAKE},
            policy_days="intake_working_days",
            starts_on=S.REGULATOR_INTAKE,
            reminders="intake_reminder_working_days",
            missed_flag="intake_overdue",
        ),
        _kind(
            "mediation",
            WORKING_DAYS,
            {S.MEDIATION},
            policy_days="mediation_working_days",
            starts_on=S.MEDIATION,
        ),
        _kind("rating", CALENDAR_DAYS, {S.CLOSED}, policy_days="rating_days", starts_on=S.CLOSED),
    )
}
del S
# The statuses in which an offer can be open: those its answer deadline lives in.
OFFER_STATUSES = DEADLINES["offer"].live_in
# The deadline the merchant must meet in each status where it holds one (``Case.merchant_due_at``).
MERCHANT_DEADLINES = {
    Status.SUBMITTED: "settle",
    Status.NEGOTIATING: "settle",
    Status.SETTLED: "fulfil",
}
# The deadline the merchant must meet next, which the inbox orders, filters and counts by: the
# acknowledgement deadline while the case is not acknowledged (it lives only in ``submitted``),
# else the status's deadline above (``merchant_due_at``). A case where the merchant holds none
# takes a date after every deadline, so that it comes last in the same keyset order (by id).
NO_MERCHANT_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
MERCHANT_NEXT_DUE = Coalesce("acknowledge_due_at", "merchant_due_at", Value(NO_MERCHANT_DEADLINE))
PROVISIONAL_FIELDS = [k.provisional_field for k in DEADLINES.values() if k.provisional_field]
# "Some deadline of the case is provisional": the condition of the index that finds them.
ANY_PROVISIONAL = reduce(operator.or_, (Q(**{field: True}) for field in PROVISIONAL_FIELDS))


class Remedy(models.TextChoices):
    REFUND = "refund", _("refund")
    REPLACEMENT = "replacement", _("replacement")
    REPAIR = "repair", _("repair")
    COMPENSATION = "compensation", _("compensation")
    RETURN = "return", _("return")
    APOLOGY = "apology", _("apology")
    OTHER = "other", _("other")


class Channel(models.TextChoices):
    WEB = "web", _("website")
    API = "api", _("API")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    PHONE = "phone", _("phone")
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit in person")


class NotAcceptedReason(models.TextChoices):
    """Grounds for not accepting a complaint (SAMR Order 121 art. 16)."""

    OUTSIDE_REMIT = "outside_remit", _("outside this office's remit")
    HANDLED_ELSEWHERE = (
        "handled_elsewhere",
        _("already handled by a court, arbitration, another agency or a mediator"),
    )
    NOT_CONSUMER_DISPUTE = "not_consumer_dispute", _("not a consumer dispute")
    TOO_OLD = "too_old", _("more than 3 years old")
    MATERIALS_MISSING = "materials_missing", _("required materials missing or false")
    IDENTITY = "identity", _("impersonation or refusal of identity verification")
    OTHER = "other", _("other")


class TerminationReason(models.TextChoices):
    """Grounds for terminating mediation (Order 20 art. 21)."""

    WITHDRAWN_OR_SETTLED = "withdrawn_or_settled", _("withdrawn or settled privately")
    APPRAISAL_DEADLOCK = "appraisal_deadlock", _("testing or appraisal deadlock")
    PARTY_ABSENT = "party_absent", _("a party refuses or fails to take part")
    AGREEMENT_IMPOSSIBLE = "agreement_impossible", _("a party declares agreement impossible")
    FRAUDULENT = "fraudulent", _("fraudulent claim")
    NOT_ACCEPT_GROUND = "not_accept_ground", _("a ground for not accepting found later")
    OTHER = "other", _("other")


class DeadlinePolicy(models.Model):
    """Every duration of product §4–5. One row; admins edit it. Cases keep what they were given."""

    acknowledge_working_days = models.PositiveSmallIntegerField(
        _("acknowledge within (working days)"), default=2
    )
    settle_working_days = models.PositiveSmallIntegerField(
        _("settle within (working days)"), default=10
    )
    settle_reminder_working_days = models.JSONField(
        _("remind the merchant this many working days before the settlement deadline"),
        default=default_settle_reminders,
        blank=True,
        help_text=_("A list of whole numbers, e.g. [3, 1]."),
    )
    not_settled_choice_days = models.PositiveSmallIntegerField(
        _("consumer chooses after no settlement within (calendar days)"), default=15
    )
    offer_response_days = models.PositiveSmallIntegerField(
        _("consumer answers an offer within (calendar days)"), default=7
    )
    confirm_days = models.PositiveSmallIntegerField(
        _("consumer confirms fulfilment within (calendar days)"), default=7
    )
    intake_working_days = models.PositiveSmallIntegerField(
        _("regulator decides acceptance within (working days)"), default=7
    )
    intake_reminder_working_days = models.PositiveSmallIntegerField(
        _("remind the office this many working days before the acceptance deadline"), default=2
    )
    mediation_working_days = models.PositiveSmallIntegerField(
        _("conclude mediation within (working days)"), default=45
    )
    rating_days = models.PositiveSmallIntegerField(_("rating window (calendar days)"), default=30)
    referral_working_days = models.PositiveSmallIntegerField(
        _("decide an enforcement referral within (working days)"), default=15
    )
    referral_extension_working_days = models.PositiveSmallIntegerField(
        _("extend an enforcement referral by (working days)"), default=15
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policy")

    def __str__(self) -> str:
        return str(_("Deadline policy"))

    def clean(self) -> None:
        reminders = self.settle_reminder_working_days
        if not isinstance(reminders, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 < d < self.settle_working_days
            for d in reminders
        ):
            raise ValidationError(
                {
                    "settle_reminder_working_days": _(
                        "Enter a list of whole numbers of working days, each at least 1 and "
                        "less than the settlement period, e.g. [3, 1]."
                    )
                }
            )
        if len(set(reminders)) != len(reminders):
            raise ValidationError(
                {"settle_reminder_working_days": _("Each reminder day may appear only once.")}
            )
        if self.intake_reminder_working_days >= self.intake_working_days:
            raise ValidationError(
                {
                    "intake_reminder_working_days": _(
                        "The reminder must come before the acceptance deadline."
                    )
                }
            )

    @classmethod
    def current(cls) -> "DeadlinePolicy":
        policy = cls.objects.order_by("pk").first()
        if policy is None:
            policy = cls.objects.create()
        return policy

    @classmethod
    def cached(cls) -> "DeadlinePolicy":
        """The current policy from this process's copy (``core.cached``), reloaded when an admin
        changes it: what services read on every request. Never change the instance returned."""
        return _policy_copy.get()


_policy_copy = ProcessCopy("deadline-policy", DeadlinePolicy.current)
_policy_copy.watch(DeadlinePolicy)


class Case(models.Model):
    """One consumer's dispute with one merchant (product §4).

    Each live deadline is a column (``*_due_at``) with, for working-day deadlines, a
    ``*_provisional`` mark. ``next_action_at`` is the earliest instant at which the sweep has
    something to do for the case (a deadline or a reminder); it is NULL when nothing is pending,
    and a partial index over it is what the sweep reads.
    """

    # Every sweep UPDATE touches indexed columns, so each index costs on every sweep: the
    # foreign keys below lead a composite index instead of having their own, and the number's
    # uniqueness is a constraint (no extra pattern index).
    number = models.CharField(_("case number"), max_length=20)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cases_filed",
        db_index=False,
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    office = models.ForeignKey(
        "regulators.Office",
        verbose_name=_("regulator office"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB
    )
    # The 12345 hotline's own ticket number of a complaint it transferred (api.services): unique,
    # so that a transfer repeated by the hotline finds the case it made.
    hotline_ticket = models.CharField(_("12345 hotline ticket"), max_length=50, blank=True)

    # The complaint as filed.
    subject = models.CharField(_("subject"), max_length=200)
    facts = models.TextField(_("what happened"))
    claim = models.TextField(_("what you ask for"))
    claim_remedy = models.CharField(
        _("remedy asked for"), max_length=20, choices=Remedy.choices, blank=True
    )
    amount_claimed = models.DecimalField(
        _("amount claimed (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    amount_paid = models.DecimalField(
        _("amount paid (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    order_reference = models.CharField(_("order number"), max_length=100, blank=True)
    # The phone the consumer gave for this complaint: shown to the parties (masked for the merchant
    # unless the consumer consented) and, with the case number, the key to public tracking.
    contact_phone = models.CharField(_("contact phone"), max_length=11, blank=True)
    consent_disclosure = models.BooleanField(
        _("allow the case to be shown on public disclosure pages"), default=False
    )
    consent_contact = models.BooleanField(
        _("show my contact details to the merchant unmasked"), default=False
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text=_("Regulator staff who registered the complaint on the consumer's behalf."),
    )

    # Live deadlines.
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    acknowledge_due_provisional = models.BooleanField(default=False)
    settle_due_at = models.DateTimeField(null=True, blank=True)
    settle_due_provisional = models.BooleanField(default=False)
    choice_due_at = models.DateTimeField(null=True, blank=True)
    offer_due_at = models.DateTimeField(null=True, blank=True)
    fulfil_due_at = models.DateTimeField(null=True, blank=True)
    confirm_due_at = models.DateTimeField(null=True, blank=True)
    intake_due_at = models.DateTimeField(null=True, blank=True)
    intake_due_provisional = models.BooleanField(default=False)
    mediation_due_at = models.DateTimeField(null=True, blank=True)
    mediation_due_provisional = models.BooleanField(default=False)
    rating_due_at = models.DateTimeField(null=True, blank=True)
    # What each working-day deadline was computed from, so it can be computed again when the
    # official calendar of a provisional year arrives.
    deadline_basis = models.JSONField(default=dict, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)
    # The deadline the merchant has to meet in the current status (settle while negotiating,
    # fulfil once settled; ``MERCHANT_DEADLINES``), NULL when the merchant holds none. Kept by
    # ``Op``; the merchant inbox sorts and pages by it.
    merchant_due_at = models.DateTimeField(null=True, blank=True)

    # Things the sweep does once.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledge_late = models.BooleanField(default=False)
    # Set when the settlement deadline passed without a settlement (the case went to the regulator):
    # the merchant dashboard's on-time settlement rate counts it.
    settle_late = models.BooleanField(default=False)
    fulfilment_overdue = models.BooleanField(default=False)
    intake_overdue = models.BooleanField(default=False)
    reminders_sent = models.JSONField(default=list, blank=True)

    # Rating (closed cases).
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(blank=True)

    # The tip of the event chain (product §6).
    last_event_seq = models.PositiveIntegerField(default=0)
    last_event_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    filed_at = models.DateTimeField(_("filed at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The key the filing was sent with (the form's, or the API's Idempotency-Key): the same
    # filing sent again by the same consumer is this case, not a second one.
    filing_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-filed_at"]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                name="case_next_action_idx",
                condition=Q(next_action_at__isnull=False),
            ),
            models.Index(
                fields=["id"],
                name="case_provisional_idx",
                condition=ANY_PROVISIONAL,
            ),
            # A merchant's cases of one status by the deadline it must meet next (the inbox's
            # status filters).
            models.Index(
                "merchant",
                "status",
                MERCHANT_NEXT_DUE,
                "id",
                name="case_merchant_status_next_idx",
            ),
            # A merchant's closed cases, newest first.
            models.Index(
                fields=["merchant", "filed_at", "id"],
                name="case_merchant_closed_idx",
                condition=Q(status=Status.CLOSED),
            ),
            # The merchant inbox: its open cases by the deadline the merchant must meet next
            # (also what is overdue or due soon), by arrival, and by order number.
            models.Index(
                "merchant",
                MERCHANT_NEXT_DUE,
                "id",
                name="case_merchant_next_due_idx",
                condition=~Q(status=Status.CLOSED),
            ),
            models.Index(fields=["merchant", "filed_at", "id"], name="case_merchant_filed_idx"),
            # What needs the merchant's attention, counted from small partial indexes.
            models.Index(
                fields=["merchant"],
                name="case_merchant_ack_late_idx",
                condition=Q(status=Status.SUBMITTED, acknowledge_late=True),
            ),
            models.Index(
                fields=["merchant"],
                name="case_merchant_fulfil_late_idx",
                condition=Q(status=Status.SETTLED, fulfilment_overdue=True),
            ),
            # The backlog of every office of a subtree, counted from the index alone.
            models.Index(
                fields=["office", "intake_due_at"],
                name="case_office_intake_idx",
                condition=Q(status=Status.REGULATOR_INTAKE),
            ),
            models.Index(
                fields=["office"],
                name="case_office_mediation_idx",
                condition=Q(status=Status.MEDIATION),
            ),
            models.Index(fields=["merchant", "order_reference"], name="case_merchant_order_idx"),
            models.Index(fields=["office", "status"], name="case_office_status_idx"),
            # The regulator queues, most urgent first, at every level of the office tree: a
            # national or provincial queue walks these in order instead of sorting the subtree.
            models.Index(
                fields=["intake_due_at", "id"],
                name="case_intake_queue_idx",
                condition=Q(status=Status.REGULATOR_INTAKE),
            ),
            models.Index(
                fields=["mediation_due_at", "id"],
                name="case_mediation_queue_idx",
                condition=Q(status=Status.MEDIATION),
            ),
            models.Index(fields=["consumer", "filed_at"], name="case_consumer_idx"),
            # The daily callback sample reads the cases closed the day before.
            models.Index(
                fields=["closed_at"],
                name="case_closed_idx",
                condition=Q(closed_at__isnull=False),
            ),
            models.Index(
                fields=["filed_by"],
                name="case_filed_by_idx",
                condition=Q(filed_by__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="case_number_unique"),
            models.UniqueConstraint(
                fields=["hotline_ticket"],
                condition=~Q(hotline_ticket=""),
                name="case_hotline_ticket_unique",
            ),
            models.UniqueConstraint(
                fields=["consumer", "filing_key"],
                condition=~Q(filing_key=""),
                name="case_filing_key_once",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.CLOSED, resolution__gt="")
                | (~Q(status=Status.CLOSED) & Q(resolution="")),
                name="case_resolution_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def open_offer(self, *, lock: bool = False) -> "Offer | None":
        """Return the offer awaiting an answer (at most one is open)."""
        offers = self.offers.filter(status=Offer.Status.OPEN)
        return (offers.select_for_update() if lock else offers).first()

    def current_agreement(self, *, lock: bool = False) -> "Agreement | None":
        """Return the latest agreement: the one a settled case is fulfilling."""
        agreements = self.agreements.order_by("-created_at", "-pk")
        return (agreements.select_for_update() if lock else agreements).first()

    def open_referral(self, *, lock: bool = False) -> "Referral | None":
        referrals = self.referrals.filter(status=Referral.Status.REFERRED)
        return (referrals.select_for_update() if lock else referrals).first()


class MerchantStatusCount(models.Model):
    """How many of a merchant's cases are in each status, kept by ``Op`` with every status change
    (``cases.op.status_counts_apply``): the merchant inbox's counts cost one small query however
    many cases the merchant has."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "status"], name="merchant_status_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.status}: {self.count}"


class OfficeBacklogCount(models.Model):
    """How many of an office's cases await its acceptance (of those, how many are past the
    decision deadline) and how many are in mediation, kept by ``Op`` in the transaction of every
    change (``cases.op.counts_apply``): the regulators' backlog costs one small query however
    many cases there are."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("awaiting acceptance")
        INTAKE_OVERDUE = "intake_overdue", _("acceptance decision overdue")
        MEDIATION = "mediation", _("in mediation")

    office = models.ForeignKey("regulators.Office", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "kind"], name="office_backlog_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.kind}: {self.count}"

    @classmethod
    def kinds_of(cls, case: "Case") -> tuple[str, ...]:
        """The counts ``case`` adds one to, as it stands."""
        if case.status == Status.REGULATOR_INTAKE:
            if case.intake_overdue:
                return (cls.Kind.INTAKE, cls.Kind.INTAKE_OVERDUE)
            return (cls.Kind.INTAKE,)
        if case.status == Status.MEDIATION:
            return (cls.Kind.MEDIATION,)
        return ()


class CaseEvent(models.Model):
    """One entry of the case's hash chain (product §6). Written only by ``cases.op.Op.record``.

    ``data`` holds facts (ids, codes, dates), never rendered sentences; templates word them.
    """

    class Type(models.TextChoices):
        FILED = "filed", _("complaint filed")
        ACKNOWLEDGED = "acknowledged", _("merchant acknowledged")
        ACKNOWLEDGEMENT_OVERDUE = "acknowledgement_overdue", _("acknowledgement overdue")
        REMINDER_SENT = "reminder_sent", _("reminder sent")
        MESSAGE_POSTED = "message_posted", _("message posted")
        NOTE_POSTED = "note_posted", _("regulator note")
        EVIDENCE_ADDED = "evidence_added", _("evidence added")
        OFFER_MADE = "offer_made", _("offer made")
        OFFER_ACCEPTED = "offer_accepted", _("offer accepted")
        OFFER_REJECTED = "offer_rejected", _("offer rejected")
        OFFER_LAPSED = "offer_lapsed", _("offer lapsed")
        SETTLEMENT_DECLINED = "settlement_declined", _("merchant declined to settle")
        WITHDRAWN = "withdrawn", _("complaint withdrawn")
        ESCALATED = "escalated", _("escalated to the regulator by the consumer")
        DEADLINE_MISSED = "deadline_missed", _("settlement deadline missed; escalated")
        CLOSED_BY_CONSUMER = "closed_by_consumer", _("closed by the consumer")
        CHOICE_WINDOW_EXPIRED = "choice_window_expired", _("closed: no choice made in time")
        ACCEPTED = "accepted", _("accepted for mediation")
        NOT_ACCEPTED = "not_accepted", _("not accepted")
        TRANSFERRED = "transferred", _("transferred to another office")
        INTAKE_OVERDUE = "intake_overdue", _("acceptance decision overdue")
        MEDIATION_CONCLUDED = "mediation_concluded", _("mediated agreement reached")
        MEDIATION_TERMINATED = "mediation_terminated", _("mediation terminated")
        MEDIATION_EXPIRED = "mediation_expired", _("mediation deadline passed")
        FULFILMENT_MARKED = "fulfilment_marked", _("merchant marked the agreement fulfilled")
        FULFILMENT_OVERDUE = "fulfilment_overdue", _("fulfilment date passed without fulfilment")
        FULFILMENT_CONFIRMED = "fulfilment_confirmed", _("consumer confirmed fulfilment")
        FULFILMENT_PRESUMED = "fulfilment_presumed", _("fulfilment presumed confirmed")
        BREACH_REPORTED = "breach_reported", _("consumer reported non-fulfilment")
        RATED = "rated", _("consumer rated the handling")
        RATING_WINDOW_CLOSED = "rating_window_closed", _("rating window closed")
        REFERRAL_OPENED = "referral_opened", _("referred for enforcement")
        REFERRAL_EXTENDED = "referral_extended", _("enforcement referral extended")
        REFERRAL_DECIDED = "referral_decided", _("enforcement referral decided")
        CALLBACK_RECORDED = "callback_recorded", _("callback visit recorded")
        DEADLINE_RECOMPUTED = "deadline_recomputed", _("deadline recomputed")

    # Keys of ``data`` that hold an account's internal id. The chain keeps them; nothing shown
    # outside the engine does (``facts``): an id would let a party link a masked person's cases.
    ACCOUNT_KEYS = frozenset({"consumer"})

    # (case, seq) is unique, which indexes the case too.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40, choices=Type.choices)
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal = models.BooleanField(default=False, help_text=_("Seen by regulator staff only."))
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.type}"

    @property
    def facts(self) -> dict:
        """``data`` as a party is shown it (the API's thread): without account ids."""
        return {k: v for k, v in self.data.items() if k not in self.ACCOUNT_KEYS}


class Message(models.Model):
    class Visibility(models.TextChoices):
        PARTIES = "parties", _("everyone on the case")
        REGULATOR = "regulator", _("regulator staff only")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_party = models.CharField(max_length=20)
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PARTIES
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField()
    # The key the composer was rendered with: the same form sent twice (a retry after an error
    # or a lost answer, a double click) is one message.
    client_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "author", "client_key"],
                condition=models.Q(client_key__isnull=False),
                name="message_client_key_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.body[:30]}"


def evidence_upload_to(evidence: "Evidence", filename: str) -> str:
    """Return a random storage name in the case's folder, keeping only the extension given.

    The name a person gave the file is never part of where it is stored (it is kept in
    ``original_name``), so it can neither collide, be guessed nor travel through a path.
    """
    extension = filename.rpartition(".")[2].lower() if "." in filename else "bin"
    return f"evidence/{evidence.case.number}/{uuid.uuid4().hex}.{extension}"


class Evidence(models.Model):
    """A file attached to a case (product §6), checked by ``cases.evidence`` before it is stored.

    ``sha256`` and ``size`` are those of the stored bytes (an image is stored re-encoded); the
    ``evidence_added`` event chains the same digest, and ``ledger_verify`` checks the file.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=evidence_upload_to)
    original_name = models.CharField(max_length=255)
    description = models.CharField(_("description"), max_length=500, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


class Offer(models.Model):
    """A structured settlement proposal (和解方案) by the merchant, or the mediator in mediation."""

    Remedy = Remedy

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        LAPSED = "lapsed", _("lapsed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Proposer(models.TextChoices):
        MERCHANT = "merchant", _("merchant")
        MEDIATOR = "mediator", _("mediator")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offers")
    proposer = models.CharField(max_length=20, choices=Proposer.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    remedy = models.CharField(_("remedy"), max_length=20, choices=Remedy.choices)
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    fulfil_by = models.DateField(_("fulfil by"))
    text = models.TextField(_("terms"))
    is_final = models.BooleanField(_("final offer"), default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    consumer_accepted_at = models.DateTimeField(null=True, blank=True)
    merchant_accepted_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="open"), name="one_open_offer_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_remedy_display()} {self.amount} ({self.get_status_display()})"

    def waiting_for(self) -> set[str]:
        """Return the parties ("consumer", "merchant") whose acceptance the open offer awaits.

        The consumer answers every offer; a mediator's proposal needs the merchant's too.
        """
        if self.status != self.Status.OPEN:
            return set()
        waiting = set()
        if self.consumer_accepted_at is None:
            waiting.add("consumer")
        if self.proposer == self.Proposer.MEDIATOR and self.merchant_accepted_at is None:
            waiting.add("merchant")
        return waiting


class Agreement(models.Model):
    """A settlement: negotiated between the parties or reached in mediation."""

    class Kind(models.TextChoices):
        NEGOTIATED = "negotiated", _("negotiated settlement")
        MEDIATED = "mediated", _("mediated agreement")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="agreements")
    offer = models.OneToOneField(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="agreement"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    remedy = models.CharField(max_length=20, choices=Offer.Remedy.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    fulfil_by = models.DateField()
    text = models.TextField()
    created_at = models.DateTimeField()
    fulfilled_marked_at = models.DateTimeField(null=True, blank=True)
    # What the merchant said when marking it fulfilled (the refund's transaction number, the
    # parcel's tracking number), and what the consumer said was not fulfilled.
    fulfilment_note = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_presumed = models.BooleanField(default=False)
    breach_reported_at = models.DateTimeField(null=True, blank=True)
    breach_description = models.TextField(blank=True)
    # Working days from the day the complaint was filed to the day of the agreement (that day not
    # counted), fixed when the agreement is made: the dashboards average it in SQL.
    working_days_to_settle = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"], name="agreement_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class Referral(models.Model):
    """An enforcement referral (诉转案). Never blocks the mediation track."""

    class Status(models.TextChoices):
        REFERRED = "referred", _("referred")
        CASE_OPENED = "case_opened", _("enforcement case opened")
        NO_CASE = "no_case", _("no enforcement case")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    office = models.ForeignKey("regulators.Office", on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    law = models.CharField(_("suspected violation of"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REFERRED)
    decide_due_at = models.DateTimeField()
    decide_due_provisional = models.BooleanField(default=False)
    # What the decision deadline was computed from (see cases.deadlines.Deadline.basis).
    decide_basis = models.JSONField(default=dict, blank=True)
    extended = models.BooleanField(default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="referred"), name="one_open_referral_per_case"
            ),
        ]
        indexes = [
            models.Index(
                fields=["decide_due_at"],
                name="referral_open_due_idx",
                condition=Q(status="referred"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.law} ({self.get_status_display()})"

    def set_deadline(self, deadline) -> None:
        """Set the decision deadline (a ``cases.deadlines.Deadline``)."""
        self.decide_due_at = deadline.due_at
        self.decide_due_provisional = deadline.provisional
        self.decide_basis = deadline.basis


class CallbackVisit(models.Model):
    """A regulator's follow-up call to the consumer after a case closed (回访, SAMR Order 121):
    whether the outcome recorded is real, and the consumer's satisfaction on a four-level scale
    (blank: the consumer was not reached). ``satisfied`` sums the scale up as yes or no."""

    class Satisfaction(models.TextChoices):
        VERY_SATISFIED = "very_satisfied", _("very satisfied")
        SATISFIED = "satisfied", _("satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")
        VERY_DISSATISFIED = "very_dissatisfied", _("very dissatisfied")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    satisfied = models.BooleanField(_("consumer satisfied"), null=True)
    satisfaction = models.CharField(
        _("consumer's satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    outcome_real = models.BooleanField(_("the outcome is real"), null=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.created_at:%Y-%m-%d}"


class Notification(models.Model):
    """What one person is told, in the portal and by email: a row of the outbox (product §5).

    Written in the transaction that records the event (``cases.notifications.outbox_write``), so
    a committed event always has its notifications; the relay sends the pending emails
    (``email`` = pending) and marks each sent once. A person without an email address is told in
    the portal only.
    """

    class Kind(models.TextChoices):
        CASE_EVENT = "case_event", _("case event")
        WEBHOOK_DISABLED = "webhook_disabled", _("webhook disabled")

    class Email(models.TextChoices):
        NONE = "none", _("not emailed")
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CASE_EVENT)
    # The case event told of; NULL for a notice about something else (``kind`` and ``data``).
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.NONE)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # When the email is due: written with it, moved on by a claim's lease or after a failure;
    # NULL once there is nothing more to send.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Written by the deadline sweep's waves: sent after the notices of what people just did.
    bulk = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"], name="one_notification_per_event_user"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
            models.Index(
                fields=["user"], name="notification_unread_idx", condition=Q(read_at__isnull=True)
            ),
            # The relay's order (cases.notifications._due): claiming reads the index from its
            # start instead of sorting every pending row.
            models.Index(
                fields=["bulk", "next_attempt_at", "id"],
                name="notification_email_due_idx",
                condition=Q(email="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id or self.kind} → {self.user_id}"
