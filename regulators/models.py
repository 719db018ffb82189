from django.conf import settings
from django.db import models
from django.db.models import QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from core.cached import ProcessCopy
from core.regions import region_ancestors, region_contains, validate_region_code


class OfficeQuerySet(models.QuerySet):
    def subtree_of(self, office: "Office") -> "OfficeQuerySet":
        return self.filter(path__startswith=office.path)

    def for_region(self, region_code: str) -> "Office | None":
        """Return the office whose region most specifically contains ``region_code``."""
        ancestors = region_ancestors(region_code)
        candidates = {o.region_code: o for o in self.filter(region_code__in=ancestors)}
        for code in ancestors:
            if code in candidates:
                return candidates[code]
        return None


class Office(models.Model):
    """A market-regulation office (市场监管部门). Offices form the five-level tree of product §2.

    ``path`` is a materialised path ("/1/4/9/") so that "this office and everything below it" is
    one indexed prefix query.
    """

    class Level(models.IntegerChoices):
        NATIONAL = 0, _("national")
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        COUNTY = 3, _("county")
        STATION = 4, _("station")

    name = models.CharField(_("name"), max_length=120)
    region_code = models.CharField(
        _("region code"), max_length=9, unique=True, validators=[validate_region_code]
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("regulator office")
        verbose_name_plural = _("regulator offices")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The path needs the primary key, so a new office is saved twice.
        super().save(*args, **kwargs)
        path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        if path != self.path:
            old, self.path = self.path, path
            Office.objects.filter(pk=self.pk).update(path=path)
            if old:  # a moved office takes the offices below it along
                Office.objects.filter(path__startswith=old).exclude(pk=self.pk).update(
                    path=Concat(Value(path), Substr("path", len(old) + 1))
                )

    @classmethod
    def cached_for_region(cls, region_code: str) -> "Office | None":
        """``Office.objects.for_region`` from this process's copy (``core.cached``), which fills
        one region at a time and is dropped whenever an office is saved or deleted: what filing
        reads on every complaint. Never change the office returned."""
        found = _offices_by_region.get()
        if region_code not in found:
            found[region_code] = cls.objects.for_region(region_code)
        return found[region_code]

    def covers(self, region_code: str) -> bool:
        """Return whether ``region_code`` is in this office's jurisdiction (its region or one
        inside it): the one rule for "a merchant of my office", which the supervision lists
        apply in SQL (``regulators.selectors.office_merchants``) and the decisions here."""
        return region_contains(self.region_code, region_code)

    def is_within(self, other: "Office") -> bool:
        """Return whether this office is ``other`` or below it (``other`` supervises it)."""
        return self.path.startswith(other.path)

    @property
    def ancestor_ids(self) -> list[int]:
        """Return the ids of this office and every office above it, nearest first."""
        return [int(pk) for pk in reversed(self.path.strip("/").split("/"))]


_offices_by_region: ProcessCopy[dict[str, Office | None]] = ProcessCopy("offices-by-region", dict)
_offices_by_region.watch(Office)


def office_subtree_ids(office: Office) -> list[int]:
    """The ids of ``office`` and of every office below it."""
    return list(Office.objects.subtree_of(office).values_list("pk", flat=True))


def in_subtree(rows: QuerySet, office: Office, subtree_ids: list[int] | None = None) -> QuerySet:
    """The ``rows`` (cases, referrals, rollups, invitations: anything with an ``office``) of
    ``office`` and of every office below it: the one spelling of an office's jurisdiction
    that every office-scoped query uses. ``subtree_ids`` saves the query for the ids when the
    caller has them.

    The root of the tree (the national office) holds every row: no office filter, so that the
    planner reads a queue's own index instead of estimating a list of every office."""
    if office.parent_id is None:
        return rows
    ids = subtree_ids if subtree_ids is not None else office_subtree_ids(office)
    return rows.filter(office_id__in=ids)


class RegulatorMembershipQuerySet(models.QuerySet):
    def supervisors_over(self, office: Office) -> list["RegulatorMembership"]:
        """Return the staff with the supervisor role nearest to ``office``: its own supervisors,
        else those of the closest office above it that has any (who is alerted when the office
        misses a deadline)."""
        by_office: dict[int, list[RegulatorMembership]] = {}
        staff = self.filter(
            role=RegulatorMembership.Role.SUPERVISOR, office__in=office.ancestor_ids
        )
        for membership in staff.select_related("user"):
            by_office.setdefault(membership.office_id, []).append(membership)
        return next((by_office[pk] for pk in office.ancestor_ids if pk in by_office), [])


class RegulatorMembership(models.Model):
    """Staff of one regulator office (product §2)."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("officer")
        SUPERVISOR = "supervisor", _("supervisor")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="regulator_membership"
    )
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OFFICER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegulatorMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("regulator staff")
        verbose_name_plural = _("regulator staff")

    def __str__(self) -> str:
        return f"{self.user} ({self.office}, {self.get_role_display()})"


class Figures(models.Model):
    """The figures of a set of complaints that a rollup row adds up: the columns every rollup
    shares."""

    filed = models.PositiveIntegerField(default=0)
    # Filed with an active ODR merchant, and of those settled by negotiation with it.
    to_merchant = models.PositiveIntegerField(default=0)
    settled_directly = models.PositiveIntegerField(default=0)
    # Reached the regulator (filed with it, escalated, or a missed deadline or breach).
    escalated = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    not_accepted = models.PositiveIntegerField(default=0)
    mediated = models.PositiveIntegerField(default=0)
    # Merchant deadlines met and missed; the office's own acceptance deadline met and missed.
    acknowledged_on_time = models.PositiveIntegerField(default=0)
    acknowledged_late = models.PositiveIntegerField(default=0)
    settle_late = models.PositiveIntegerField(default=0)
    intake_on_time = models.PositiveIntegerField(default=0)
    intake_late = models.PositiveIntegerField(default=0)
    # Refunds and compensation under agreements whose fulfilment was confirmed
    # (为消费者挽回经济损失).
    recovered = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # For the merchant's own dashboard: cases with any agreement, ratings, working days to the
    # agreement, and where the cases are now (one column per status).
    agreed = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    settle_days_sum = models.PositiveIntegerField(default=0)
    settle_days_count = models.PositiveIntegerField(default=0)
    now_submitted = models.PositiveIntegerField(default=0)
    now_negotiating = models.PositiveIntegerField(default=0)
    now_not_settled = models.PositiveIntegerField(default=0)
    now_settled = models.PositiveIntegerField(default=0)
    now_regulator_intake = models.PositiveIntegerField(default=0)
    now_mediation = models.PositiveIntegerField(default=0)
    now_closed = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        abstract = True


class WeekFigures(Figures):
    """The figures of the complaints filed in one week (``week``, the Monday in Shanghai)."""

    week = models.DateField()

    class Meta:
        abstract = True


class OfficeWeekStats(WeekFigures):
    """Figures of the complaints filed in one week against one merchant and now owned by one
    office, kept current by ``regulators.stats.office_stats_refresh`` (never a loop over cases
    in a page). The merchant dashboards add up a merchant's rows; the regulator dashboards rank
    merchants on them.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "week", "merchant"], name="office_week_stats_unique"
            )
        ]
        indexes = [
            # Ranking the merchants of a period: read from the index alone.
            models.Index(
                fields=["week", "office", "merchant"],
                include=["filed"],
                name="office_week_stats_rank_idx",
            ),
            models.Index(fields=["merchant", "week"], name="office_week_stats_merchant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.week} {self.merchant_id}"


class OfficeIndustryWeekStats(WeekFigures):
    """The same figures per office, industry and week: what the regulator dashboards add up for
    their totals, offices, industries and weeks. One row stands for all the merchants of an
    industry, so a national dashboard reads a few rows per office and week, however many
    merchants and cases there are. Derived from ``OfficeWeekStats`` in the same refresh.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    industry = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "week", "industry"], name="office_industry_week_unique"
            )
        ]
        indexes = [models.Index(fields=["week", "office"], name="office_industry_week_idx")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.week} {self.industry}"


class OfficeSubtreeWeekStats(WeekFigures):
    """The same figures per office, industry and week for the office's whole subtree: its own
    cases and those of every office below it, added up by the refresh from
    ``OfficeIndustryWeekStats``. A dashboard reads its office's rows and its children's, a few
    per week and industry however large the tree below."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    industry = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "week", "industry"], name="office_subtree_week_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/… {self.week} {self.industry}"


class OfficeMerchantRanking(Figures):
    """The merchants with the most complaints in an office's subtree over the dashboard's
    default period (the weeks ``first_week``–``last_week``), ranked, with their figures: what a
    dashboard shows by merchant without adding up a row per merchant and week of the whole
    subtree. Recomputed for every office with the rollups (``regulators.stats``); a dashboard
    for another period ranks the rollup itself."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    first_week = models.DateField()
    last_week = models.DateField()
    rank = models.PositiveSmallIntegerField()
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "first_week", "last_week", "rank"],
                name="office_merchant_ranking_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.first_week}–{self.last_week} #{self.rank}"


class CallbackSample(models.Model):
    """A closed case sampled into its owning office's callback list (回访, SAMR Order 121).

    One row per case: the daily sample (``regulators.services.callback_sample``) inserts with
    ``ignore_conflicts``, so running it twice, or twice at once, adds nothing. What the call found
    is a ``cases.CallbackVisit`` of the case, recorded through ``cases.services.callback_record``.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="callback_sample"
    )
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    # When the case closed (copied from it: the list is ordered by it).
    closed_at = models.DateTimeField(_("closed at"))
    sampled_at = models.DateTimeField(_("sampled at"))

    class Meta:
        verbose_name = _("callback sample")
        verbose_name_plural = _("callback samples")
        indexes = [
            models.Index(fields=["office", "closed_at", "id"], name="callback_sample_office_idx")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.office_id}"


class BusinessInvitation(models.Model):
    """An office's invitation to a business that is not onboarded to apply to ODR (product §3),
    emailed to the contact the officer gave or printed as a letter."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        LETTER = "letter", _("printed letter")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="odr_invitations"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    email = models.EmailField(_("email address"), blank=True)

    class Meta:
        verbose_name = _("invitation to onboard")
        verbose_name_plural = _("invitations to onboard")
        indexes = [
            models.Index(fields=["office", "sent_at", "id"], name="business_invitation_office_idx"),
            models.Index(fields=["merchant", "sent_at"], name="business_invitation_merch_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} ({self.get_channel_display()}, {self.sent_at:%Y-%m-%d})"


class ComplainantFlag(models.Model):
    """A merchant's report that a complaint looks profit-seeking (职业索赔, 牟利性投诉; product §6).

    It only brings the complainant to the regulator's attention: a regulator decides
    (``ComplainantReview``). One flag per case.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="complainant_flag"
    )
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("flagged at"))

    class Meta:
        verbose_name = _("complaint flagged as profit-seeking")
        verbose_name_plural = _("complaints flagged as profit-seeking")

    def __str__(self) -> str:
        return f"{self.case_id} ({self.merchant_id})"


class ComplainantReview(models.Model):
    """A regulator's decision on whether a complainant is abnormal (product §6), with the reason.
    Decisions are kept, never changed: a later one supersedes an earlier one."""

    class Decision(models.TextChoices):
        ABNORMAL = "abnormal", _("abnormal: handle as profit-seeking complaints")
        NOT_ABNORMAL = "not_abnormal", _("not abnormal")

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("complainant review")
        verbose_name_plural = _("complainant reviews")
        indexes = [models.Index(fields=["consumer", "created_at"], name="complainant_review_idx")]

    def __str__(self) -> str:
        return f"{self.consumer_id}: {self.decision}"
