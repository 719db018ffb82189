# The merchant inbox orders, filters and counts by the deadline the merchant must meet next
# (``cases.models.MERCHANT_NEXT_DUE``: acknowledging while the case is not acknowledged, else
# ``merchant_due_at``) instead of ``merchant_due_at`` alone: its two indexes are rebuilt over
# that expression; nothing else read the ones they replace.

import datetime

import django.db.models.functions.comparison
from django.db import migrations, models


def _next_due():
    return django.db.models.functions.comparison.Coalesce(
        "acknowledge_due_at",
        "merchant_due_at",
        models.Value(datetime.datetime(9999, 12, 31, 0, 0, tzinfo=datetime.UTC)),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_merchant_status_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="case_merchant_due_idx",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.F("merchant"),
                models.F("status"),
                _next_due(),
                models.F("id"),
                name="case_merchant_status_next_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.F("merchant"),
                _next_due(),
                models.F("id"),
                condition=models.Q(("status", "closed"), _negated=True),
                name="case_merchant_next_due_idx",
            ),
        ),
    ]
