"""Django Admin for quotas: the list (filters, seat counts, no N+1), seats and subquotas inline,
cancellation with its confirmation page, import batches, and the CSV import through
django-import-export (upload → preview of every row and its errors → confirm)."""

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from core.roles import Role
from quotas.models import ImportBatch, Quota, QuotaSeat, QuotaSeatStatus, QuotaStatus
from seating.models import SeatInventory, SeatStatus
from tests.quotas.fixtures_import import csv_bytes, csv_file, quota_make

LIST = "/admin/quotas/quota/"


def seats_set(quota, *statuses):
    """Test setup: give the quota's seats these statuses, in order."""
    for seat, status in zip(quota.seats.order_by("id"), statuses, strict=False):
        QuotaSeat.objects.filter(pk=seat.pk).update(status=status)


def result_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'name="_selected_action" value="(\d+)"',
                                       response.content.decode())]


# --- the quota list ------------------------------------------------------------------------------

def test_the_list_shows_the_seat_counts_of_each_quota(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=5)
    seats_set(quota, QuotaSeatStatus.ALLOCATED, QuotaSeatStatus.RESERVED, QuotaSeatStatus.SOLD,
              QuotaSeatStatus.SOLD, QuotaSeatStatus.ALLOCATED)

    response = admin_client_qm.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    for column, value in (("allocated", 2), ("reserved", 1), ("sold", 2), ("delegated", 0)):
        assert re.search(rf'class="field-{column}">{value}<', html), column


def test_the_list_counts_delegated_seats_and_subquotas_own_seats(admin_client_qm, match_a,
                                                                 login):
    from quotas.services.subquotas import subquota_create

    root = quota_make(match_a, quantity=4, can_create_subquotas=True)
    holder = login("vip@sponsor.hr").user
    seat_ids = list(root.seats.values_list("id", flat=True)[:3])
    sub = subquota_create(user=holder, quota_id=root.pk, recipient_email="guest@firma.hr",
                          seat_ids=seat_ids)

    html = admin_client_qm.get(LIST).content.decode()

    root_row = re.search(rf'value="{root.pk}".*?</tr>', html, re.S).group(0)
    sub_row = re.search(rf'value="{sub.pk}".*?</tr>', html, re.S).group(0)
    assert 'class="field-allocated">1<' in root_row and 'class="field-delegated">3<' in root_row
    assert 'class="field-allocated">3<' in sub_row and "subquota" in sub_row


def test_the_list_costs_the_same_queries_for_many_quotas(admin_client_qm, match_a):
    quota_make(match_a, quantity=1)
    with CaptureQueriesContext(connection) as few:
        admin_client_qm.get(LIST)
    for n in range(5):
        quota_make(match_a, email=f"more{n}@firma.hr", quantity=1, sectors=("B",))
    with CaptureQueriesContext(connection) as many:
        admin_client_qm.get(LIST)

    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_list_filters_by_match_status_batch_and_email(admin_client_qm, match_a, match_b):
    first = quota_make(match_a, email="ana@firma.hr", quantity=1)
    other_match = quota_make(match_b, email="ivo@firma.hr", quantity=1)
    batch = ImportBatch.objects.create(file_name="x.csv", match_ids=[match_a.pk])
    batched = quota_make(match_a, email="eva@firma.hr", quantity=1)
    Quota.objects.filter(pk=batched.pk).update(batch=batch)
    Quota.objects.filter(pk=first.pk).update(status=QuotaStatus.CANCELLED)

    by_match = admin_client_qm.get(LIST, {"match__id__exact": match_b.pk})
    by_status = admin_client_qm.get(LIST, {"status__exact": "CANCELLED"})
    by_batch = admin_client_qm.get(LIST, {"batch__id__exact": batch.pk})
    by_email = admin_client_qm.get(LIST, {"q": "IVO@firma"})

    assert result_ids(by_match) == [other_match.pk]
    assert result_ids(by_status) == [first.pk]
    assert result_ids(by_batch) == [batched.pk]
    assert result_ids(by_email) == [other_match.pk]


def test_the_quota_page_shows_its_seats_read_only(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=2, internal_note="Sponsor Ltd")

    response = admin_client_qm.get(f"{LIST}{quota.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Sponsor Ltd" in html and html.count("field-status") >= 2
    seat = quota.seats.select_related("inventory").first()
    assert f">{seat.inventory.seat_number}<" in html
    assert 'name="_save"' not in html  # nothing is edited by hand
    assert f"/admin/quotas/quota/{quota.pk}/cancel/" in html
    assert f"/admin/quotas/quota/{quota.pk}/masquerade/" in html


def test_quotas_are_not_deleted_by_hand(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=1)

    assert admin_client_qm.post(f"{LIST}{quota.pk}/delete/").status_code == 403


def test_the_add_page_creates_a_quota_with_its_seats(admin_client_qm, match_a):
    sector = match_a.sectors.get(code="A")
    form = {"match": match_a.pk, "recipient_email": "ana@firma.hr", "sectors": [sector.pk],
            "quantity": 3, "algorithm": "NM", "discount_code": "GR", "auto_send_email": "on"}

    page = admin_client_qm.get(f"{LIST}add/")
    done = admin_client_qm.post(f"{LIST}add/", form, follow=True)
    again = admin_client_qm.post(f"{LIST}add/", form, follow=True)

    assert page.status_code == 200 and 'id="quota-create"' in page.content.decode()
    quota = Quota.objects.order_by("id").first()
    assert (quota.recipient_email, quota.quantity, quota.discount_percent) == (
        "ana@firma.hr", 3, 100)
    assert SeatInventory.objects.filter(quota_seats__quota=quota,
                                        status=SeatStatus.ALLOCATED).count() == 3
    assert done.redirect_chain[-1][0] == f"{LIST}{quota.pk}/change/"
    assert "already has quota(s)" in again.content.decode()


def test_the_add_page_shows_what_is_wrong(admin_client_qm, match_a, match_b):
    other_sector = match_b.sectors.get(code="A")
    response = admin_client_qm.post(f"{LIST}add/", {
        "match": match_a.pk, "recipient_email": "ana@firma.hr", "sectors": [other_sector.pk],
        "quantity": 3, "algorithm": "NM"})
    too_many = admin_client_qm.post(f"{LIST}add/", {
        "match": match_a.pk, "recipient_email": "ana@firma.hr", "quantity": 9999,
        "algorithm": "NM"})

    assert "Not sectors of the chosen match" in response.content.decode()
    assert "seat(s) are available" in too_many.content.decode() or \
        "not 9999" in too_many.content.decode()
    assert not Quota.objects.exists()


# --- cancellation ------------------------------------------------------------------------------

def test_the_cancel_page_shows_what_each_option_would_cancel(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=6)
    seats_set(quota, QuotaSeatStatus.ALLOCATED, QuotaSeatStatus.ALLOCATED,
              QuotaSeatStatus.RESERVED, QuotaSeatStatus.SOLD, QuotaSeatStatus.ALLOCATED,
              QuotaSeatStatus.RESERVED)

    response = admin_client_qm.get(f"{LIST}{quota.pk}/cancel/")

    html = response.content.decode()
    assert response.status_code == 200
    counts = dict(re.findall(r'data-option="(\w+)">.*?class="cancel-count">(\d+)<', html, re.S))
    assert counts == {"all_unused": "5", "unfulfilled_only": "3"}
    assert 'data-sold="1"' in html
    assert Quota.objects.get(pk=quota.pk).status == QuotaStatus.ACTIVE  # a GET changes nothing


def test_confirming_a_cancellation_returns_the_seats_to_the_sale(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=3)
    seat_ids = list(quota.seats.values_list("inventory_id", flat=True))

    response = admin_client_qm.post(f"{LIST}{quota.pk}/cancel/", {"option": "all_unused"})

    assert response.status_code == 302 and response.url == f"{LIST}{quota.pk}/change/"
    quota.refresh_from_db()
    assert quota.status == QuotaStatus.CANCELLED and quota.cancellation_type == "ALL_UNUSED"
    assert set(SeatInventory.objects.filter(id__in=seat_ids).values_list(
        "status", flat=True)) == {SeatStatus.AVAILABLE}
    assert AuditEvent.objects.filter(action="quota.cancel", object_id=str(quota.pk),
                                     actor_email="quotas-import@hns.hr").exists()


def test_cancelling_twice_shows_the_services_message(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=1)
    admin_client_qm.post(f"{LIST}{quota.pk}/cancel/", {"option": "unfulfilled_only"})

    response = admin_client_qm.post(f"{LIST}{quota.pk}/cancel/", {"option": "all_unused"},
                                    follow=True)

    assert "already cancelled" in response.content.decode()


def test_the_cancel_action_leads_to_the_confirmation_page(admin_client_qm, match_a):
    quota = quota_make(match_a, quantity=1)

    response = admin_client_qm.post(LIST, {"action": "cancel_action",
                                           "_selected_action": [quota.pk]})

    assert response.status_code == 302 and response.url == f"{LIST}{quota.pk}/cancel/"
    assert Quota.objects.get(pk=quota.pk).status == QuotaStatus.ACTIVE


def test_only_a_quota_manager_may_cancel(make_user, match_a):
    quota = quota_make(match_a, quantity=1)
    client = Client()
    client.force_login(make_user("support@hns.hr", roles=[Role.SUPPORT_AGENT]))

    assert client.get(f"{LIST}{quota.pk}/cancel/").status_code == 403
    assert client.post(f"{LIST}{quota.pk}/cancel/", {"option": "all_unused"}).status_code == 403
    assert Quota.objects.get(pk=quota.pk).status == QuotaStatus.ACTIVE


# --- the import in Django Admin (django-import-export) -------------------------------------------

IMPORT = f"{LIST}import/"


def upload(client, content: bytes, *matches):
    return client.post(IMPORT, {"import_file": csv_file(content), "format": "0",
                                "resource": "0", "match_ids": [m.pk for m in matches]})


def test_the_import_page_asks_for_the_file_and_the_matches(admin_client_qm, match_a):
    response = admin_client_qm.get(IMPORT)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="import_file"' in html and 'name="match_ids"' in html
    assert "sectors (codes separated by |)" in html


def test_the_preview_lists_every_row_and_its_errors_and_creates_nothing(admin_client_qm,
                                                                        match_a, match_b):
    content = csv_bytes("email;sectors;quantity", "ana@firma.hr;A;2", "", "not-an-email;A;1",
                        "ivo@firma.hr;Z;1")

    response = upload(admin_client_qm, content, match_a, match_b)

    html = response.content.decode()
    assert response.status_code == 200
    rows = re.findall(r'<tr class="(new|skip)">(.*?)</tr>', html, re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for _, row in rows]
    assert [(kind, c[0]) for (kind, _), c in zip(rows, cells, strict=True)] == [
        ("new", "2"), ("skip", "4"), ("skip", "5")]
    assert "email: not-an-email is not a valid email address." in cells[1][-1]
    assert "sectors:" in cells[2][-1] and f"(match {match_a.pk})" in cells[2][-1]
    assert 'name="confirm"' in html and 'name="import_file_name"' in html
    assert not Quota.objects.exists() and not ImportBatch.objects.exists()
    assert not SeatInventory.objects.filter(status=SeatStatus.ALLOCATED).exists()


def test_confirming_the_import_creates_the_quotas_and_opens_the_batch(admin_client_qm,
                                                                      match_a, match_b):
    content = csv_bytes("email,sectors,quantity", "ana@firma.hr,A,2", "bad,A,1")
    preview = upload(admin_client_qm, content, match_a, match_b).content.decode()
    confirm = {name: value for name, value in re.findall(
        r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview)}
    confirm["match_ids"] = [match_a.pk, match_b.pk]

    response = admin_client_qm.post(f"{LIST}process_import/", confirm)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == f"/admin/quotas/importbatch/{batch.pk}/change/"
    assert (batch.successful_rows, batch.failed_rows, batch.quotas_created) == (1, 1, 2)
    assert batch.error_report[0]["line"] == 3
    assert sorted(batch.quotas.values_list("match_id", flat=True)) == sorted(
        [match_a.pk, match_b.pk])
    assert QuotaSeat.objects.filter(quota__batch=batch).count() == 4
    page = admin_client_qm.get(response.url).content.decode()
    assert "<td>3</td><td>email</td>" in page and "bad is not a valid email address" in page


def test_a_malformed_file_is_refused_on_the_import_form(admin_client_qm, match_a):
    response = upload(admin_client_qm, csv_bytes("email,quantity", "ana@firma.hr,2"), match_a)

    html = response.content.decode()
    assert response.status_code == 200
    assert "lacks the column(s) sectors" in html and 'name="confirm"' not in html


def test_the_import_needs_a_match(admin_client_qm, match_a):
    response = admin_client_qm.post(IMPORT, {"import_file": csv_file(csv_bytes(
        "email,sectors,quantity", "a@b.hr,A,1")), "format": "0", "resource": "0"})

    assert "This field is required" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_only_a_quota_manager_may_import_in_the_admin(make_user, match_a):
    client = Client()
    client.force_login(make_user("support@hns.hr", roles=[Role.SUPPORT_AGENT]))

    assert client.get(IMPORT).status_code == 403


# --- import batches ----------------------------------------------------------------------------

def test_the_batch_list_shows_counts(admin_client_qm):
    ImportBatch.objects.create(file_name="sponsors.csv", match_ids=[1], total_rows=3,
                               successful_rows=2, failed_rows=1, quotas_created=2,
                               error_report=[{"line": 4, "field": "email", "error": "bad"}])

    html = admin_client_qm.get("/admin/quotas/importbatch/").content.decode()

    assert "sponsors.csv" in html and 'class="field-failed_rows">1<' in html
