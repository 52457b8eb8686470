from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.pii import EncryptedTextField


class AuditEvent(models.Model):
    """Append-only: a database trigger rejects UPDATE and DELETE on PostgreSQL (migration 0002).
    The actor is kept as a plain reference so deleting a user never rewrites history."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    impersonator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
        help_text="The admin acting as `actor` (masquerade), if any.",
    )
    impersonator_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        actor = self.actor_email or "system"
        return f"{self.action} {self.object_type}#{self.object_id} by {actor}"


class EmailTemplate(models.Model):
    """Bodies are Django templates; `variables` maps each variable to a sample value, used by
    the admin preview and documenting what callers must pass."""

    template_key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body_html = models.TextField()
    body_text = models.TextField()
    variables = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template_key"]

    def __str__(self):
        return self.template_key


class EmailStatus(models.TextChoices):
    QUEUED = "QUEUED"
    SENDING = "SENDING"  # claimed by one delivery attempt (core.delivery)
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    BOUNCED = "BOUNCED"
    FAILED = "FAILED"


class EmailLog(models.Model):
    template_key = models.CharField(max_length=64)
    recipient_email = models.EmailField(db_index=True)
    subject = models.CharField(max_length=200, blank=True)
    variables_json = models.JSONField(default=dict, blank=True)
    variables_encrypted = EncryptedTextField(
        blank=True, default="",
        help_text="Every variable as JSON, links included, encrypted: what delivery renders "
                  "from (a resend too). Cleared once the email is sent or has failed.")
    provider = models.CharField(max_length=60, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the latest delivery attempt began.")
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.template_key} → {self.recipient_email} ({self.status})"


class PushPlatform(models.TextChoices):
    IOS = "IOS"
    ANDROID = "ANDROID"


class PushToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_tokens"
    )
    device_id = models.CharField(max_length=200, unique=True)
    fcm_token = models.TextField()
    platform = models.CharField(max_length=10, choices=PushPlatform.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.platform} {self.device_id}"


class PushPriority(models.TextChoices):
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class PushStatus(models.TextChoices):
    QUEUED = "QUEUED"
    SENDING = "SENDING"  # claimed by one delivery attempt (core.delivery)
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class PushLog(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_logs"
    )
    token = models.ForeignKey(PushToken, null=True, blank=True, on_delete=models.SET_NULL)
    notification_type = models.CharField(max_length=60, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    data_json = models.JSONField(default=dict, blank=True)
    priority = models.CharField(
        max_length=6, choices=PushPriority.choices, default=PushPriority.NORMAL
    )
    fcm_message_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=PushStatus.choices, default=PushStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the latest delivery attempt began.")
    sent_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.notification_type} → user {self.user_id} ({self.status})"
