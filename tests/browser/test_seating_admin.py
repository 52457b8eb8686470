"""The seating admin pages: the match seat map and the sector seat-map editor."""

import pytest
from playwright.sync_api import expect

from core.roles import Role
from seating.models import SeatAuditLog, SeatInventory, SectorSeatMap
from seating.services.inventory import seats_transition
from tests.seating.inventory_fixtures import inventory_make, sector_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager(make_user):
    return make_user("manager@hns.example", roles=[Role.MATCH_MANAGER])


def test_the_seat_map_draws_seats_by_status_and_blocks_a_selection(manager, admin_login,
                                                                   live_server):
    match_sector = inventory_make()
    sold = list(match_sector.inventory.filter(row_label="A").values_list("id", flat=True)[:2])
    seats_transition(inventory_ids=sold, to_status="SOLD", reason="orders")
    page = admin_login("manager@hns.example")

    page.goto(f"{live_server.url}/admin/seating/match/{match_sector.match_id}/change/")
    page.click("a.seat-map-link")

    seats = page.locator("#seat-map circle.seat")
    expect(seats).to_have_count(72)
    expect(page.locator(f"#seat-map circle[data-id='{sold[0]}']")).to_have_attribute(
        "fill", "#d62828")
    expect(page.locator("#seat-legend li[data-status=SOLD] .count")).to_have_text("2")
    expect(page.locator("#seat-legend li[data-status=AVAILABLE] .count")).to_have_text("70")

    chosen = list(match_sector.inventory.filter(row_label="C").values_list("id", flat=True)[:3])
    for seat_id in chosen:
        page.click(f"#seat-map circle[data-id='{seat_id}']")
    expect(page.locator("#selected-count")).to_have_text("3")
    page.select_option("#apply-status", "BLOCKED")
    page.fill("#apply-reason", "TV camera platform")
    page.click("#apply-button")

    expect(page.locator("#seat-apply-result[data-done='1']")).to_contain_text("Changed 3")
    for seat_id in chosen:
        expect(page.locator(f"#seat-map circle[data-id='{seat_id}']")).to_have_attribute(
            "fill", "#555555")
    expect(page.locator("#seat-legend li[data-status=BLOCKED] .count")).to_have_text("3")
    assert set(SeatInventory.objects.filter(status="BLOCKED").values_list("id", flat=True)) \
        == set(chosen)
    logs = SeatAuditLog.objects.filter(to_status="BLOCKED")
    assert sorted(logs.values_list("inventory_id", flat=True)) == sorted(chosen)
    assert {(log.reason, log.changed_by_id) for log in logs} == {("TV camera platform",
                                                                  manager.id)}


def test_the_editor_adds_clicked_seats_and_saves_the_map(manager, admin_login, live_server):
    sector = sector_make(code="E1", rows="", seats_per_row=0)
    page = admin_login("manager@hns.example")

    page.goto(f"{live_server.url}/admin/seating/sector/{sector.id}/change/")
    page.click("a.seat-map-editor-link")
    # the editor's script fills the inputs when it starts: wait for it before typing
    expect(page.locator("#seat-editor-grid .cell").first).to_be_visible()
    page.fill("#editor-rows", "3")
    page.fill("#editor-cols", "5")
    page.click("#editor-resize")
    for row, col in ((0, 0), (0, 1), (1, 3)):
        page.click(f".cell[data-row='{row}'][data-col='{col}']")
    page.select_option("#editor-type", "accessibility")
    page.click(".cell[data-row='2'][data-col='4']")
    page.fill(".row-label-input[data-row='2']", "Z")
    expect(page.locator("#editor-total")).to_have_text("4")
    page.click("#editor-save")

    expect(page.locator("#editor-message[data-saved='1']")).to_contain_text("Saved 4 seats")
    seat_map = SectorSeatMap.objects.get(sector=sector)
    assert seat_map.total_seats == 4
    assert [(s["row"], s["col"], s["type"]) for s in seat_map.seat_map_json["seats"]] == [
        (0, 0, "standard"), (0, 1, "standard"), (1, 3, "standard"), (2, 4, "accessibility")]
    assert seat_map.seat_map_json["row_labels"] == ["A", "B", "Z"]
    assert seat_map.seat_map_json["dimensions"] == {"rows": 3, "cols": 5}
