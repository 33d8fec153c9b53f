"""Every write of the notifications app, in one place for its callers.

* ``sweep.py``: what is due, written once per recipient (idempotent, database first);
* ``delivery.py``: claim, render and send each notification once;
* here: reading and preferences, and the names the rest of the project uses.

Reliability rests on the database, not on the broker: see ``sweep.py`` and ``delivery.py``.
"""

import logging

from django.conf import settings
from django.utils import timezone

from .delivery import (  # noqa: F401 - the app's public interface
    TRANSIENT_ERRORS,
    MailServerUnavailable,
    abandoned_notifications,
    deliver_notification,
    deliver_notifications,
    email_context,
    render_email,
)
from .models import Kind, Notification, NotificationPreference
from .sweep import (  # noqa: F401 - the app's public interface
    Due,
    SweepResult,
    digest_week,
    enqueue_deliveries,
    meeting_slot,
    sweep,
)

logger = logging.getLogger(__name__)


# --- In-app reading and preferences -------------------------------------------------------------


def mark_read(*, actor, notification: Notification) -> Notification:
    """The recipient has seen it. Callers obtain ``notification`` through
    ``selectors.get_notification(actor, id)``, which 404s for anyone else."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def set_preferences(*, actor, digest_opt_out: bool, language: str = "") -> NotificationPreference:
    """Opt in or out of the weekly digest (deadline notices cannot be turned off)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    preference, _created = NotificationPreference.objects.update_or_create(
        user=actor, defaults={"digest_opt_out": digest_opt_out, "language": language}
    )
    if digest_opt_out:
        # A digest already queued for this week is not sent after the person said no.
        Notification.objects.filter(
            recipient=actor, kind=Kind.WEEKLY_DIGEST, sent_at__isnull=True
        ).update(cancelled_at=timezone.now())
    return preference
