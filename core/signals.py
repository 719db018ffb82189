"""Signals the base layer sends for the apps above it to act on, so that ``core`` imports none
of them."""

from django.dispatch import Signal

# Sent (in the admin's transaction) when a platform admin marks a year's official calendar
# published, with ``year``: what was computed with a provisional calendar is to be done again.
calendar_published = Signal()
