"""Payments that succeeded before delivery was tracked were delivered by the old on-commit
signal: they are marked delivered, so the sweep does not replay the whole history."""

from django.db import migrations, models
from django.db.models import F


def mark_delivered(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.exclude(status__in=["PENDING", "FAILED"]).update(delivered_at=F("updated_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_debt'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='delivered_at',
            field=models.DateTimeField(blank=True, help_text='When the app it pays for handled its success (payments.outcomes)', null=True),
        ),
        migrations.RunPython(mark_delivered, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(condition=models.Q(('delivered_at__isnull', True), ('status', 'SUCCEEDED')), fields=['updated_at'], name='payment_undelivered'),
        ),
    ]
