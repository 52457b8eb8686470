"""A package's stock (US3): `held_count` (in live carts and unpaid orders) and `sold_count`.

Stock is scarce like seats: `package_take` checks and takes in ONE conditional UPDATE, so
parallel carts can never pass `quantity_limit` (the database CHECK backs it). The row is locked
last in a transaction (after the allocator's seats), in every path: cart add, the order's
completion and a cart's end."""

from django.db import connection

from core.errors import Conflict


def package_take(*, package_id: int, quantity: int) -> None:
    """Hold `quantity` packages for a cart, in the caller's transaction; 409 when sold out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE packages_package SET held_count = held_count + %s WHERE id = %s AND is_active"
            " AND (quantity_limit IS NULL OR sold_count + held_count + %s <= quantity_limit)",
            [quantity, package_id, quantity])
        if cursor.rowcount != 1:
            raise Conflict("This package is sold out.", code="package_sold_out",
                           field="package_id")


def _cart_lines(cursor, cart_id: int) -> list[tuple[int, int]]:
    cursor.execute("SELECT package_id, SUM(quantity) FROM ticketing_cartpackage"
                   " WHERE cart_id = %s GROUP BY package_id ORDER BY package_id", [cart_id])
    return cursor.fetchall()


def cart_packages_sold(cart_id: int) -> None:
    """The cart was paid: its held packages are sold."""
    with connection.cursor() as cursor:
        for package_id, quantity in _cart_lines(cursor, cart_id):
            cursor.execute("UPDATE packages_package SET held_count = held_count - %s,"
                           " sold_count = sold_count + %s WHERE id = %s",
                           [quantity, quantity, package_id])


def cart_packages_released(cart_id: int) -> None:
    """The cart ended unpaid (released, expired, match cancelled): its packages are back."""
    with connection.cursor() as cursor:
        for package_id, quantity in _cart_lines(cursor, cart_id):
            cursor.execute("UPDATE packages_package SET held_count = held_count - %s"
                           " WHERE id = %s AND held_count >= %s",
                           [quantity, package_id, quantity])
