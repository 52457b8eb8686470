"""The seat audit log is append-only, like core's audit trail (core 0003): on PostgreSQL a
trigger rejects every UPDATE and DELETE, and TRUNCATE by anyone but the table's owner (the
migrations role, or test teardown's flush; the owner could drop the trigger anyway, so the
application must connect as another role: README, "Production checklist"). Its references to
the seat and the user lose their database constraints, so that deleting a replaced stadium
configuration or a user leaves the log as it was instead of cascading into it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import postgresql_sql

CREATE = """
CREATE OR REPLACE FUNCTION seating_seatauditlog_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND pg_has_role(
            current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'seating_seatauditlog is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER seating_seatauditlog_append_only
    BEFORE UPDATE OR DELETE ON seating_seatauditlog
    FOR EACH ROW EXECUTE FUNCTION seating_seatauditlog_append_only();
CREATE TRIGGER seating_seatauditlog_no_truncate
    BEFORE TRUNCATE ON seating_seatauditlog
    FOR EACH STATEMENT EXECUTE FUNCTION seating_seatauditlog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS seating_seatauditlog_no_truncate ON seating_seatauditlog;
DROP TRIGGER IF EXISTS seating_seatauditlog_append_only ON seating_seatauditlog;
DROP FUNCTION IF EXISTS seating_seatauditlog_append_only();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('seating', '0004_allocate_function_generic_plans'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='seatauditlog',
            name='changed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='seatauditlog',
            name='inventory',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_logs', to='seating.seatinventory'),
        ),
        postgresql_sql(CREATE, DROP),
    ]
