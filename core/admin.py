from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.utils.html import escape, format_html

from core.email_templates import email_render
from core.errors import DomainError
from core.models import AuditEvent, EmailLog, EmailTemplate, PushLog, PushToken


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs are evidence: nobody edits or deletes them from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceActions:
    """For admin actions that run one service per selected row, as
    `service(<id_kw>=row.pk, actor=request.user, **kwargs)`: a refusal (a domain error) is shown
    against its row and the other rows go on."""

    service_id_kw = "id"

    def each_through(self, request, queryset, service, done: str, **kwargs) -> None:
        for row in queryset:
            try:
                service(**{self.service_id_kw: row.pk}, actor=request.user, **kwargs)
            except DomainError as exc:
                self.message_user(request, f"{row}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{row._meta.verbose_name.capitalize()} {row.pk}: "
                                  f"{done}.", messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown with their parent, changed only through the services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "actor_email",
                    "impersonator_email", "ip_address")
    list_filter = ("action", "object_type", "created_at")
    search_fields = ("actor_email", "impersonator_email", "object_id", "action")
    date_hierarchy = "created_at"


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """The admin's own change history; each entry is also an AuditEvent (core.receivers), kept
    when the entry goes with its user."""

    list_display = ("action_time", "user", "action_flag", "content_type", "object_repr")
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "object_id", "user__email")
    list_select_related = ("user", "content_type")
    date_hierarchy = "action_time"


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ("template_key", "name", "subject", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("template_key", "name", "subject")
    readonly_fields = ("preview",)
    fieldsets = (
        (None, {"fields": ("template_key", "name", "is_active", "subject", "variables")}),
        ("Bodies", {"fields": ("body_html", "body_text")}),
        ("Preview (saved version, with the sample variables)", {"fields": ("preview",)}),
    )

    @admin.display(description="Preview")
    def preview(self, obj):
        if not obj or not obj.pk:
            return "Save the template to preview it."
        try:
            subject, text, html = email_render(obj, obj.variables or {})
        except Exception as exc:  # a template syntax error is shown, not raised
            return format_html('<p class="errornote">Cannot render: {}</p>', exc)
        return format_html(
            '<div class="email-preview"><p><strong>Subject:</strong> <span class="subject">{}'
            '</span></p><iframe title="HTML body" srcdoc="{}" style="width:100%;height:320px;'
            'border:1px solid #ccc;background:#fff"></iframe><pre class="text-body" '
            'style="white-space:pre-wrap">{}</pre></div>',
            # Rendered templates come back as SafeString, which format_html would not escape:
            # escape them explicitly so the HTML body stays inside srcdoc="...".
            subject, escape(html), escape(text))


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "template_key", "recipient_email", "status", "attempts",
                    "sent_at")
    list_filter = ("status", "template_key")
    search_fields = ("recipient_email", "subject")
    exclude = ("variables_encrypted",)  # links and personal data, for delivery only


@admin.register(PushToken)
class PushTokenAdmin(admin.ModelAdmin):
    list_display = ("device_id", "user", "platform", "is_active", "last_used_at")
    list_filter = ("platform", "is_active")
    search_fields = ("device_id", "user__email")
    raw_id_fields = ("user",)


@admin.register(PushLog)
class PushLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "notification_type", "user", "priority", "status", "sent_at")
    list_filter = ("status", "priority", "notification_type")
    search_fields = ("user__email", "title")
