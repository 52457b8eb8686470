"""The allocation functions are loaded from seating/sql/allocate_v1.sql, the versioned file that
is their one definition from now on, instead of living inline in migrations (0003 and 0004 keep
theirs as history and still run on a fresh database; this re-creates the same functions from
the file). A later version adds allocate_v2.sql and a migration loading it, whose reverse loads
this file. The reverse here loads v1 too: it is what 0003 and 0004 left."""

from pathlib import Path

from django.db import migrations

from core.migration_ops import postgresql_sql

ALLOCATE_V1 = (Path(__file__).resolve().parent.parent / "sql" / "allocate_v1.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("seating", "0005_seat_audit_append_only")]
    operations = [postgresql_sql(ALLOCATE_V1, ALLOCATE_V1)]
