"""The notification outbox (product §5): in-app notifications with their read mark, and the
state of each email (pending, sent, failed) with its attempts and the time of the next one."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def existing_rows(apps, schema_editor):
    """Rows made before the outbox: dated with their event, already read (they come before the
    notification list), and an email that never went out is sent now."""
    Notification = apps.get_model("cases", "Notification")
    for note in Notification.objects.select_related("event").iterator():
        note.created_at = note.event.created_at
        note.read_at = note.event.created_at
        note.email = "sent" if note.sent_at else "pending"
        note.save(update_fields=["created_at", "read_at", "email"])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0011_case_hotline_ticket'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='notification',
            options={'verbose_name': 'notification', 'verbose_name_plural': 'notifications'},
        ),
        migrations.AddField(
            model_name='notification',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='notification',
            name='data',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='notification',
            name='email',
            field=models.CharField(choices=[('none', 'not emailed'), ('pending', 'to be sent'), ('sent', 'sent'), ('failed', 'failed')], default='none', max_length=10),
        ),
        migrations.AddField(
            model_name='notification',
            name='email_attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('case_event', 'case event'), ('webhook_disabled', 'webhook disabled')], default='case_event', max_length=20),
        ),
        migrations.AddField(
            model_name='notification',
            name='last_error',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='notification',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='read_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='notification',
            name='event',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.caseevent'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['user', '-created_at', '-id'], name='notification_user_idx'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['user'], name='notification_unread_idx'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('email', 'pending')), fields=['next_attempt_at'], name='notification_email_due_idx'),
        ),
        migrations.RunPython(existing_rows, migrations.RunPython.noop),
    ]
