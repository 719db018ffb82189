from django.db import models
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
    deadlines that fall in a year not covered are provisional (DESIGN §5).
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
