"""Form pieces every portal uses: choosing a region from the national table, a date, a dashboard's
period."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .dates import default_period
from .errors import DomainError
from .regions import region_children, region_path, validate_region_code

LEVEL_LABELS = (_("Province"), _("City"), _("District or county"))


class RegionPicker(forms.Widget):
    """One select per level of the region table (province, city, district), each offering the
    regions inside the one chosen above it. A change asks the server (htmx, on the picker's
    container, which stays in place) for the levels again, so the next level's choices arrive
    without a reload; the value is the deepest choice that lies inside the one above it, so a
    level left over from an earlier choice is dropped.
    """

    template_name = "core/widgets/region_picker.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        path = region_path(value) if value else []
        levels, parent = [], None
        for depth in range(len(LEVEL_LABELS)):
            choices = region_children(parent)
            if not choices:
                break
            chosen = path[depth] if depth < len(path) else ""
            levels.append(
                {
                    "name": f"{name}_{depth}",
                    "id": f"{context['widget']['attrs'].get('id', 'id_' + name)}_{depth}",
                    "label": LEVEL_LABELS[depth],
                    "depth": depth,
                    "choices": choices,
                    "chosen": chosen,
                }
            )
            if not chosen:
                break
            parent = chosen
        attrs = context["widget"]["attrs"]
        context["widget"]["levels"] = levels
        context["widget"]["invalid"] = "is-invalid" in attrs.get("class", "")
        context["widget"]["describedby"] = attrs.get("aria-describedby", "")
        context["widget"]["picker_url"] = reverse("region_picker")
        return context

    def value_from_datadict(self, data, files, name):
        return self.deepest(data, name)

    def render_levels(self, name: str, value: str, widget_id: str) -> str:
        """Only the selects (what the container's htmx request swaps in)."""
        context = self.get_context(name, value, {"id": widget_id})
        return render_to_string("core/widgets/region_levels.html", context)

    @staticmethod
    def deepest(data, name: str) -> str:
        """The deepest region chosen, each level inside the one above."""
        code, parent = "", None
        for depth in range(len(LEVEL_LABELS)):
            value = (data.get(f"{name}_{depth}") or "").strip()
            if not value or value not in dict(region_children(parent)):
                break
            code = parent = value
        return code

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


class RegionField(forms.CharField):
    """A region of the national table, chosen down to a district or county (a region with no
    regions inside it), so that the case reaches the office of that district."""

    widget = RegionPicker
    default_error_messages = {
        "incomplete": _("Choose the district or county too."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 9)
        super().__init__(**kwargs)
        self.validators.append(validate_region_code)

    def validate(self, value):
        super().validate(value)
        if value and region_children(value):
            raise ValidationError(self.error_messages["incomplete"], code="incomplete")


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always an ISO date (2026-03-04), whatever the
    page's language, or the picker shows nothing."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """The period of a dashboard: the complaints filed from ``start`` to ``end`` (the dashboards
    count the whole weeks that hold them), at most three years; by default the 52 weeks to this
    one (``core.dates.default_period``, the period the rollups keep their rankings for)."""

    MAX_DAYS = 3 * 366

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end of the period comes before its start."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("start", _("Choose a period of at most three years."))
        return cleaned

    @classmethod
    def period(cls, data, *, today: date) -> tuple["PeriodForm", date, date]:
        """Return the form for the query ``data`` (bound when it names a start) and the first and
        last days asked for: the default period's when none, or a bad one, was asked for."""
        default = {"start": default_period(today)[0], "end": today}
        form = cls(data if "start" in data else None, initial=default)
        period = form.cleaned_data if form.is_bound and form.is_valid() else default
        return form, period["start"], period["end"]


class DomainErrorForm(forms.Form):
    """A form whose input a service checks too: its refusals are shown like the form's own
    errors."""

    def engine_check(self, check, *args) -> None:
        """Run one of the services' checks of typed input now, so that its error is shown together
        with the form's own (the service runs it again when it acts)."""
        try:
            check(*args)
        except DomainError as error:
            self.add_domain_error(error)

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal beside the field it names, or at the top of the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, ValidationError(error.message, code=error.code))
