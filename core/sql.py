"""Helpers for the statements the fan's on-sale path writes by hand (docs/decisions.md: the ORM
cost several times what the database spent on them). Portable between PostgreSQL and the
embedded SQLite default (3.35 or newer, for RETURNING)."""

from datetime import datetime

from django.db import connection, models


def marks(values) -> str:
    """One `%s` placeholder per value, comma-separated: for `IN (…)` and `VALUES (…)`."""
    return ", ".join(["%s"] * len(values))


def db_datetime(value: datetime | None):
    """A datetime as the database compares it (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def insert_rows(rows: list[models.Model]) -> None:
    """INSERT new rows of one model in one statement and give each its id: bulk_create without
    building an ORM query. Values go through the model's fields (encryption, dates) as the
    ORM's do; auto_now fields must be set by the caller."""
    model = type(rows[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = f"({marks(fields)})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)})"
            f" VALUES {', '.join([values] * len(rows))} RETURNING id",
            [f.get_db_prep_save(getattr(row, f.attname), connection)
             for row in rows for f in fields])
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
            row._state.adding = False
