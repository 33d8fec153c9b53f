from django.db import models


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
