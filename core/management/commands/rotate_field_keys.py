"""Re-encrypt every personal-data field (core.pii.EncryptedTextField) with the newest key.

Rotating the field-encryption key:

1. Generate a key: `python -c "from cryptography.fernet import Fernet;
   print(Fernet.generate_key().decode())"`.
2. Prepend it to FIELD_ENCRYPTION_KEYS (`new,old`) and deploy: new writes use the new key, and
   rows written under the old key still decrypt.
3. Run `manage.py rotate_field_keys`: every stored value is re-encrypted with the new key.
4. Drop the old key from FIELD_ENCRYPTION_KEYS and deploy again.

FIELD_HASH_KEY is a different matter: the lookup hashes depend on it, so it does not rotate here.

Values are read and written as raw ciphertext through a cursor (the field itself would decrypt
on read and encrypt on write), a batch per transaction. A row is only overwritten if it still
holds the ciphertext that was read, so a concurrent save (already under the new key) is never
lost, and an interrupted run is simply run again.
"""

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.pii import EncryptedTextField, reencrypt


def encrypted_columns() -> list[tuple[str, str, list[str]]]:
    """(table, primary-key column, encrypted columns) for every model that has any."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = [f.column for f in meta.local_concrete_fields
                   if isinstance(f, EncryptedTextField)]
        if columns:
            found.append((meta.db_table, meta.pk.column, columns))
    return found


class Command(BaseCommand):
    help = "Re-encrypt every encrypted personal-data value with the newest field key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        total = 0
        for table, pk, columns in encrypted_columns():
            for column in columns:
                rotated = self.rotate_column(table, pk, column, batch_size)
                if rotated:
                    self.stdout.write(f"{table}.{column}: {rotated}")
                total += rotated
        self.stdout.write(self.style.SUCCESS(f"Rotated {total} encrypted values."))

    def rotate_column(self, table: str, pk: str, column: str, batch_size: int) -> int:
        q = connection.ops.quote_name
        update = f"UPDATE {q(table)} SET {q(column)} = %s WHERE {q(pk)} = %s AND {q(column)} = %s"
        rotated, last = 0, None
        while True:
            after = "" if last is None else f"AND {q(pk)} > %s "
            select = (f"SELECT {q(pk)}, {q(column)} FROM {q(table)} WHERE {q(column)} <> '' "
                      f"{after}ORDER BY {q(pk)} LIMIT %s")
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [batch_size] if last is None else [last, batch_size])
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    try:
                        fresh = reencrypt(token)
                    except InvalidToken:
                        raise CommandError(
                            f"{table}.{column} of row {row_pk} does not decrypt with any of "
                            "FIELD_ENCRYPTION_KEYS; add the missing key and run this again."
                        ) from None
                    cursor.execute(update, [fresh, row_pk, token])
                    rotated += cursor.rowcount
            if len(rows) < batch_size:
                return rotated
            last = rows[-1][0]
