import pytest
from playwright.sync_api import expect

from core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_support_agent_sees_only_what_they_manage(make_user, admin_login, live_server):
    make_user("agent@hns.example", roles=[Role.SUPPORT_AGENT])

    page = admin_login("agent@hns.example")

    nav = page.locator("#content-main").inner_text()
    assert "Users" in nav
    assert "Audit events" not in nav
    assert "Email templates" not in nav


def test_an_admin_previews_an_email_template(make_user, admin_login, live_server,
                                             email_templates):
    make_user("root@hns.example", staff=True, is_superuser=True)
    page = admin_login("root@hns.example")

    page.goto(f"{live_server.url}/admin/core/emailtemplate/")
    page.click("text=order_confirmation")

    expect(page.locator(".email-preview .subject")).to_have_text("Order HNS-2026-000123 confirmed")
    page.wait_for_load_state("load")
    html_body = next(f for f in page.frames if f.url == "about:srcdoc")  # the preview iframe
    assert "Thank you for your order HNS-2026-000123" in html_body.inner_text("body")
    expect(page.locator(".email-preview .text-body")).to_contain_text("Total paid: 106.00 EUR")


def test_the_api_docs_render_without_any_cdn(page, live_server, db):
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("HNS Ticketing API")
    expect(page.locator(".opblock-tag", has_text="support")).to_be_visible()  # a late tag
    page.locator(".opblock-tag", has_text="auth").first.click()
    expect(page.locator(".opblock-summary-path[data-path='/api/auth/login']")).to_be_visible()
    expect(page.locator(".swagger-ui .authorize")).to_be_visible()  # Bearer tokens can be tried
