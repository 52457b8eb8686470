"""Editing email templates in Django Admin, with a preview rendered from the sample variables."""

import json

from core.models import EmailTemplate


def change_url(template: EmailTemplate) -> str:
    return f"/admin/core/emailtemplate/{template.pk}/change/"


def form_data(template: EmailTemplate, **changes) -> dict:
    data = {
        "template_key": template.template_key, "name": template.name,
        "is_active": "on" if template.is_active else "", "subject": template.subject,
        "variables": json.dumps(template.variables), "body_html": template.body_html,
        "body_text": template.body_text, "_save": "Save",
    }
    return {**data, **changes}


def test_the_change_page_previews_the_template_with_its_sample_values(admin_client):
    template = EmailTemplate.objects.get(template_key="order_confirmation")

    response = admin_client.get(change_url(template))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="subject">Order HNS-2026-000123 confirmed</span>' in page
    assert 'srcdoc="' in page
    # The HTML body sits escaped inside srcdoc, so the iframe renders it as a document.
    assert "&lt;p&gt;Hello Ana Horvat,&lt;/p&gt;" in page
    assert "Total paid: 106.00 EUR." in page
    assert "{{ order_number }}" in page  # the editable source is still there, unrendered


def test_the_preview_cannot_inject_markup_into_the_admin_page(admin_client):
    template = EmailTemplate.objects.get(template_key="match_update")

    admin_client.post(change_url(template), form_data(template, variables=json.dumps(
        {**template.variables, "change": '<script>alert("x")</script>'})))
    page = admin_client.get(change_url(template)).content.decode()

    assert "<script>alert" not in page
    # srcdoc holds the autoescaped body escaped once more; the text body is escaped once.
    assert "&amp;lt;script&amp;gt;alert(&amp;quot;x&amp;quot;)" in page
    assert "There is news about Croatia v Italy: &lt;script&gt;alert(&quot;x&quot;)" in page


def test_editing_the_subject_in_the_admin_saves_it(admin_client):
    template = EmailTemplate.objects.get(template_key="refund")

    response = admin_client.post(change_url(template), form_data(
        template, subject="Your refund for {{ order_number }} is on its way"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    template.refresh_from_db()
    assert template.subject == "Your refund for {{ order_number }} is on its way"
    assert template.body_text.startswith("Hello {{ name }},")
    page = admin_client.get(change_url(template)).content.decode()
    assert "Your refund for HNS-2026-000123 is on its way" in page


def test_a_template_syntax_error_is_saved_and_shown_in_the_preview(admin_client):
    template = EmailTemplate.objects.get(template_key="refund")

    response = admin_client.post(change_url(template),
                                 form_data(template, subject="Refund {% if %}"))
    page = admin_client.get(change_url(template))

    assert response.status_code == 302
    assert page.status_code == 200
    assert "Cannot render:" in page.content.decode()
