"""POST /api/admin/seats/bulk-status and GET .../bulk-status/{job_id} (E3-F3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.roles import Role
from seating.models import BulkStatusJob, SeatAuditLog, SeatInventory, SeatStatus
from seating.services import bulk_status, seat_admin
from seating.services.inventory import seats_transition
from tests.seating.inventory_fixtures import inventory_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def sector(db):
    return inventory_make()


@pytest.fixture
def manager(api_as):
    """A Match Manager; `api` is signed in as them."""
    return api_as(Role.MATCH_MANAGER)


@pytest.fixture
def bulk(api, manager, sector, django_capture_on_commit_callbacks):
    def post(**body):
        body = {"match_id": sector.match_id, "status": "BLOCKED", "reason": "TV platform",
                **body}
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/admin/seats/bulk-status", body, format="json")
        return response

    return post


def statuses(sector):
    return dict(sector.inventory.values_list("id", "status"))


def test_it_blocks_the_given_seats_and_reports_progress(api, bulk, sector):
    ids = list(sector.inventory.filter(row_label="A").values_list("id", flat=True)[:3])

    response = bulk(seat_ids=ids)

    assert response.status_code == 202, response.json()
    job = api.get(f"/api/admin/seats/bulk-status/{response.json()['id']}").json()
    assert (job["status"], job["total"], job["processed"], job["changed"]) == ("DONE", 3, 3, 3)
    assert job["skipped"] == []
    assert set(SeatInventory.objects.filter(status="BLOCKED").values_list("id", flat=True)) \
        == set(ids)
    assert SeatAuditLog.objects.filter(inventory_id__in=ids, to_status="BLOCKED").count() == 3


def test_it_selects_a_whole_sector_by_code(bulk, sector):
    response = bulk(sector="n1")

    assert response.json()["total"] == 72
    assert set(statuses(sector).values()) == {"BLOCKED"}


def test_it_selects_a_row_range_inclusive_by_grid_order(bulk, sector):
    response = bulk(sector=str(sector.id), from_row="D", to_row="B")

    assert response.json()["total"] == 36
    blocked = set(sector.inventory.filter(status="BLOCKED").values_list("row_label", flat=True))
    assert blocked == {"B", "C", "D"}


def test_it_changes_only_seats_in_the_current_status_filter(bulk, sector):
    technical = sector.inventory.filter(row_label="A").first()
    seats_transition(inventory_ids=[technical.id], to_status="TECHNICAL", reason="pillar")

    response = bulk(sector="N1", from_row="A", to_row="A", status="MAINTENANCE",
                    current_status=["AVAILABLE"])

    assert response.json()["total"] == 11
    assert SeatInventory.objects.get(pk=technical.pk).status == "TECHNICAL"


def test_it_skips_held_seats_and_lists_them(api, bulk, sector):
    held = sector.inventory.get(row_label="A", seat_number=5)
    seats_transition(inventory_ids=[held.id], to_status=SeatStatus.RESERVED, reason="cart",
                     hold_owner="cart:9", hold_until=timezone.now() + timedelta(minutes=20))

    response = bulk(sector="N1", from_row="A", to_row="A")

    job = api.get(f"/api/admin/seats/bulk-status/{response.json()['id']}").json()
    assert (job["total"], job["processed"], job["changed"]) == (12, 12, 11)
    assert [(s["id"], s["status"]) for s in job["skipped"]] == [(held.id, "RESERVED")]
    assert "held" in job["skipped"][0]["reason"]
    assert SeatInventory.objects.get(pk=held.pk).status == SeatStatus.RESERVED


def test_it_skips_seats_whose_status_cannot_change_that_way(api, bulk, sector):
    sold = sector.inventory.get(row_label="A", seat_number=1)
    seats_transition(inventory_ids=[sold.id], to_status=SeatStatus.SOLD, reason="order 1")

    job_id = bulk(sector="N1", from_row="A", to_row="A", status="TECHNICAL").json()["id"]

    job = api.get(f"/api/admin/seats/bulk-status/{job_id}").json()

    assert job["changed"] == 11
    assert job["skipped"][0]["reason"] == "cannot go from SOLD to TECHNICAL"


def test_it_processes_in_batches_recording_progress(manager, sector,
                                                   django_capture_on_commit_callbacks,
                                                   monkeypatch):
    monkeypatch.setattr(bulk_status, "BULK_BATCH_SIZE", 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = seat_admin.bulk_status_job_create(match_id=sector.match_id, to_status="BLOCKED",
                                                reason="concert stage", actor=manager,
                                                sector="N1")
    [run_job] = [c for c in callbacks if c.__name__ == "enqueue"]  # the other: the audit line
    assert BulkStatusJob.objects.get(pk=job.pk).status == "PENDING"

    progress = []
    real_transition = bulk_status.seats_transition

    def watched(**kwargs):  # the real transition, noting the progress a poller would see
        progress.append(BulkStatusJob.objects.get(pk=job.pk).processed)
        return real_transition(**kwargs)

    monkeypatch.setattr(bulk_status, "seats_transition", watched)
    run_job()

    assert progress == [0, 10, 20, 30, 40, 50, 60, 70]
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.changed) == ("DONE", 72, 72, 72)
    assert job.finished_at is not None
    # A second run of the same job (a redelivered task) does nothing.
    assert bulk_status.bulk_status_job_run(job_id=job.id) is None


def test_it_validates_the_request(bulk, sector):
    assert bulk(sector="N1", reason="").json()["fields"].keys() == {"reason"}
    assert bulk().status_code == 400  # no selection
    assert bulk(sector="N1", seat_ids=[1]).status_code == 400  # two selections
    assert bulk(from_row="A").status_code == 400  # rows without a sector
    unknown = bulk(sector="ZZ")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "unknown_sector")
    assert bulk(sector="N1", from_row="Q").json()["fields"].keys() == {"from_row"}
    assert bulk(sector="N1", status="SOLD").json()["error"] == "invalid_status"
    assert BulkStatusJob.objects.count() == 0


def test_it_is_for_match_managers_only(api, make_user, sector):
    body = {"match_id": sector.match_id, "status": "BLOCKED", "reason": "x", "sector": "N1"}
    assert api.post("/api/admin/seats/bulk-status", body, format="json").status_code == 401
    api.force_authenticate(make_user(roles=[Role.SUPPORT_AGENT]))
    assert api.post("/api/admin/seats/bulk-status", body, format="json").status_code == 403
