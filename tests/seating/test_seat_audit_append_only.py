"""The seat audit log is append-only (seating migration 0005): PostgreSQL refuses to change,
delete or (but for the table's owner) truncate its rows, and nothing legitimate needs to:
replacing a match's stadium configuration or deleting a user leaves the log as it was."""

import secrets

import pytest
from django.db import DatabaseError, connection, transaction

from seating.models import SeatAuditLog, SeatInventory, SeatStatus
from seating.services.inventory import seats_transition
from seating.services.match_config import match_stadium_copy_template
from tests.seating.inventory_fixtures import inventory_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(make_user):
    """A seat blocked by a user and released again: two audit rows, nothing taken."""
    user = make_user()
    match_sector = inventory_make()
    seat = match_sector.inventory.get(row_label="A", seat_number=1)
    seats_transition(inventory_ids=[seat.pk], to_status=SeatStatus.BLOCKED, reason="camera",
                     actor=user)
    seats_transition(inventory_ids=[seat.pk], to_status=SeatStatus.AVAILABLE, reason="no camera",
                     actor=user)
    assert SeatAuditLog.objects.filter(inventory=seat).count() == 2
    return seat


def _sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


TAMPERING = {
    "orm_update": lambda: SeatAuditLog.objects.update(reason="nothing happened"),
    "orm_delete": lambda: SeatAuditLog.objects.all().delete(),
    "raw_update": lambda: _sql("UPDATE seating_seatauditlog SET to_status = 'SOLD'"),
    "raw_delete": lambda: _sql("DELETE FROM seating_seatauditlog"),
}


@pytest.mark.postgres
@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_the_database_refuses_to_change_or_delete_a_seat_audit_row(logged, tamper):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        tamper()

    assert SeatAuditLog.objects.filter(inventory=logged).count() == 2


@pytest.mark.postgres
def test_the_database_refuses_truncate_to_the_application_role(logged):
    """The application's role (not the owner) may not empty the table even if granted
    TRUNCATE; the role lives only in this test's transaction."""
    role = f"test_app_{secrets.token_hex(4)}"
    _sql(f"CREATE ROLE {role} NOSUPERUSER")
    _sql(f"GRANT TRUNCATE, SELECT ON seating_seatauditlog TO {role}")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(f"SET LOCAL ROLE {role}")
        _sql("TRUNCATE seating_seatauditlog")

    assert SeatAuditLog.objects.filter(inventory=logged).count() == 2


def test_replacing_a_stadium_configuration_keeps_the_seat_audit_log(logged, make_user):
    match = logged.match

    match_stadium_copy_template(match_id=match.pk, stadium_template_id=match.venue_id,
                                actor=make_user())

    assert not SeatInventory.objects.filter(pk=logged.pk).exists()  # rebuilt afresh
    kept = SeatAuditLog.objects.filter(inventory_id=logged.pk).order_by("id")
    assert [log.reason for log in kept] == ["camera", "no camera"]


def test_deleting_a_user_keeps_who_changed_the_seat(logged):
    log = SeatAuditLog.objects.filter(inventory=logged).first()
    user_id = log.changed_by_id

    log.changed_by.delete()

    assert SeatAuditLog.objects.get(pk=log.pk).changed_by_id == user_id
