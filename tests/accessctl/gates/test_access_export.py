"""E2-F8 / E13-F1: GET /api/admin/matches/<id>/access-control-export, an XLSX of barcodes only:
every valid ticket plus the spare codes; a ticket issued or transferred after the export takes
a spare code; the file is named MatchID_TicketExport_YYYYMMDD_HHMM.xlsx and logged."""

import io
import re

import pytest
from openpyxl import load_workbook

from accessctl.gates.models import BarcodeExportLog, ExtraBarcode
from tests.ticketing.aftersale.test_transfer import new_holder
from ticketing.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def export(client, match):
    response = client.get(f"/api/admin/matches/{match.pk}/access-control-export")
    assert response.status_code == 200, response.content
    return response


def cells(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_export_is_barcodes_only_with_spare_codes(match_manager, match, paid, settings):
    settings.ACCESS_EXPORT_EXTRA_CODES = 50
    order = paid(2)
    Ticket.objects.filter(pk=order.tickets.first().pk).update(status=TicketStatus.REFUNDED)
    valid = Ticket.objects.get(order=order, status=TicketStatus.VALID)

    response = export(match_manager, match)

    rows = cells(response)
    assert rows[0] == ["barcode"] and all(len(r) == 1 for r in rows)
    codes = [r[0] for r in rows[1:]]
    assert len(codes) == 51 and valid.barcode in codes  # more than sold
    assert all(isinstance(c, str) and re.fullmatch(r"\d{18}", c) for c in codes)
    assert order.buyer.email not in str(rows) and valid.holder_name not in str(rows)
    name = re.search(r'filename="(.+)"', response["Content-Disposition"]).group(1)
    assert re.fullmatch(rf"{match.pk}_TicketExport_\d{{8}}_\d{{4}}\.xlsx", name)
    log = BarcodeExportLog.objects.get()
    assert (log.file_name, log.total_barcodes, log.extra_barcodes, log.exported_by) == (
        name, 51, 50, match_manager.user)


def test_a_second_export_sends_the_same_spares_topped_up(match_manager, match, settings):
    settings.ACCESS_EXPORT_EXTRA_CODES = 20
    first = {r[0] for r in cells(export(match_manager, match))[1:]}
    second = {r[0] for r in cells(export(match_manager, match))[1:]}
    assert first == second and ExtraBarcode.objects.count() == 20


def test_tickets_issued_or_transferred_after_the_export_take_spare_codes(
        match_manager, match, paid, buyer, settings, django_capture_on_commit_callbacks):
    settings.ACCESS_EXPORT_EXTRA_CODES = 10
    spares = {r[0] for r in cells(export(match_manager, match))[1:]}

    order = paid(2)

    issued = set(order.tickets.values_list("barcode", flat=True))
    assert issued <= spares
    used = ExtraBarcode.objects.filter(is_used=True)
    assert {e.assigned_ticket_id for e in used} == set(order.tickets.values_list("pk",
                                                                                 flat=True))
    ticket = order.tickets.order_by("pk").last()
    with django_capture_on_commit_callbacks(execute=True):  # the spare's ticket is written
        response = buyer.post(f"/api/tickets/{ticket.pk}/transfer", {"holder": new_holder()},
                              format="json")
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.barcode in spares - issued
    assert ExtraBarcode.objects.filter(assigned_ticket=ticket).count() == 2  # both its codes


def test_only_match_managers_export(buyer, make_user, back_office, match):
    from core.roles import Role

    agent = back_office(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT]))
    url = f"/api/admin/matches/{match.pk}/access-control-export"
    assert buyer.get(url).status_code == 403 and agent.get(url).status_code == 403
    assert not BarcodeExportLog.objects.exists()
