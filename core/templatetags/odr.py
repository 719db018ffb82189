from decimal import Decimal

from django import template
from django.forms import BoundField

register = template.Library()

_SELECTS = {"select", "selectmultiple"}


@register.filter
def bootstrap(field: BoundField) -> str:
    """Render a form field's widget with Bootstrap classes, marked invalid when it has errors."""
    css = "form-select" if field.widget_type in _SELECTS else "form-control"
    attrs = {"class": css + (" is-invalid" if field.errors else "")}
    # The error (when there is one) and the help text are what a screen reader reads with the
    # field; the ids are those templates/_field.html gives them.
    described = []
    if field.errors:
        described.append(f"{field.id_for_label}-error")
        attrs["aria-invalid"] = "true"
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def cny(value) -> str:
    """Render an amount of money in yuan with two decimals: ¥1,299.00."""
    if value in (None, ""):
        return ""
    return f"¥{Decimal(str(value)):,.2f}"


@register.filter
def percent(value) -> str:
    """Render a share (0–1) as a whole percentage, or a dash when there is nothing to count."""
    if value is None:
        return "—"
    return f"{value * 100:.0f}%"


@register.filter(is_safe=True)
def field_label(value) -> str:
    """A label as the portal writes them: without the colon some of allauth's end in
    ("当前手机号码:", an English colon after Chinese)."""
    text = str(value).strip()
    return text[:-1].rstrip() if text.endswith((":", "：")) else text
