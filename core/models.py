from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One API POST made with an ``Idempotency-Key`` header, and the answer it got.

    ``scope`` names the credential (a digest of the token header, or the signed-in user), so one
    client's key never replays another's answer. ``status`` is null while the first request is
    still running. Rows older than ``IDEMPOTENCY_KEY_HOURS`` are deleted by the housekeeping task.
    """

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"Idempotency key {self.pk} ({self.status or 'running'})"


class AuditEvent(models.Model):
    """Append-only, hash-chained log. Each row stores SHA-256(previous hash + its own content).

    PostgreSQL triggers refuse UPDATE and DELETE; ``verify_audit_chain`` detects any change made
    around them (and ``AuditHead`` detects a removed last row).
    """

    # Plain ids, not foreign keys: deleting a user or a table must never rewrite this log.
    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    table_id = models.BigIntegerField(null=True, blank=True)
    event = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # The table (and its append-only triggers) kept the name it had in the consent app.
        db_table = "consent_auditevent"
        indexes = [models.Index(fields=["table_id", "-id"], name="consent_aud_table_i_e1c869_idx")]

    def __str__(self):
        return f"#{self.pk} {self.event}"


class AuditHead(models.Model):
    """The latest hash of the chain (one row), so removing the newest row is detected too."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "consent_audithead"
        verbose_name = _("audit chain head")

    def __str__(self):
        return f"{self.last_id}: {self.last_hash[:12]}"
