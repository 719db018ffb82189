from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_callback_scale_and_closed_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="hotline_ticket",
            field=models.CharField(blank=True, max_length=50, verbose_name="12345 hotline ticket"),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hotline_ticket", ""), _negated=True),
                fields=("hotline_ticket",),
                name="case_hotline_ticket_unique",
            ),
        ),
    ]
