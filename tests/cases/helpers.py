"""Shared steps for the case tests."""

from datetime import date

from cases import services


def offer(case, actor, now, **kw):
    """Make a refund offer (fulfil by Fri 2026-03-20) as ``actor`` at ``now``."""
    fields = {
        "remedy": "refund",
        "amount": "299.00",
        "fulfil_by": date(2026, 3, 20),
        "text": "全额退款",
    }
    fields.update(kw)
    return services.offer_make(case=case, actor=actor, now=now, **fields)
