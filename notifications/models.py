"""Notifications: one row per (kind, object, recipient, due-slot), an outbox that cannot lose work.

The sweep (``services.sweep``) creates rows when something becomes due; the unique constraint makes
it idempotent. A row is emailed at most once: a worker claims it with a conditional UPDATE and
sets ``sent_at`` after the SMTP server accepted the message. Rows hold ids, situation numbers,
dates and counts only — never names or narrative — because they are copied into emails.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Table


class Kind(models.TextChoices):
    MEETING_REMINDER = "meeting_reminder", _("Meeting reminder")
    TASK_DUE_TOMORROW = "task_due_tomorrow", _("Task due tomorrow")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    TASK_ESCALATION = "task_escalation", _("Overdue task escalated to the chair")
    FIRST_CONTACT_OVERDUE = "first_contact_overdue", _("First contact overdue")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest")


class Notification(models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # The meeting, task, situation or membership the notice is about; which one follows from kind.
    object_id = models.PositiveBigIntegerField(_("object id"))
    # What makes a notice due again: the reminder offset and meeting time, the due date, the week.
    slot = models.CharField(_("slot"), max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # the (recipient, ...) indexes below serve every lookup by recipient
    )
    table = models.ForeignKey(
        Table, on_delete=models.CASCADE, related_name="+", verbose_name=_("table")
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("enqueued"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "slot", "recipient"], name="notification_once"
            ),
        ]
        indexes = [
            # The unread count and the list (a person has hundreds, not millions, to sort).
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(
                fields=["enqueued_at"],
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
                name="notification_outbox",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.object_id} → user {self.recipient_id} ({self.slot})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def title(self) -> str:
        from .texts import title

        return title(self)

    @property
    def target_url(self) -> str:
        from .texts import target_url

        return target_url(self)


class NotificationPreference(models.Model):
    """What a user chose about optional emails. Deadline notices cannot be turned off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    digest_opt_out = models.BooleanField(_("no weekly digest"), default=False)
    language = models.CharField(
        _("email language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the site's default language."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"Preferences of user {self.user_id}"
