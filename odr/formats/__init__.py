"""The portal's date formats where Django's own are not what its pages need (``FORMAT_MODULE_PATH``
in odr/settings.py); everything not set here is Django's.

A day without its year (``MONTH_DAY_FORMAT``) is only ever a day of this year: a day of another
year is written with ``DATE_FORMAT`` instead (core/templatetags/portal_dates.py).
"""
