"""``|day``: a day as deadlines name it, without its year when it is this year's.

``|date:"MONTH_DAY_FORMAT"`` (3月4日, March 4) names a day of this year; a day of another year
written that way reads as this year's ("截止 2月8日" for 8 February next year). ``|day`` writes a
day of another year with its year (``DATE_FORMAT``: 2027年2月8日, February 8, 2027), this year
being the one in the portal's time zone today.
"""

import datetime

from django import template
from django.template import defaultfilters
from django.utils import timezone

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def day(value):
    """The day of ``value`` (a date or a datetime, in the portal's time zone)."""
    if not isinstance(value, datetime.date):
        return ""
    this_year = value.year == timezone.localdate().year
    return defaultfilters.date(value, "MONTH_DAY_FORMAT" if this_year else "DATE_FORMAT")
