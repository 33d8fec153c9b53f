"""Delivery: claim a notification, render it in its reader's language, send it once.

``deliver_notification`` claims a row with a conditional UPDATE (``claimed_at IS NULL AND
sent_at IS NULL``) and proceeds only if it changed one row, so a message delivered twice sends
one email. A worker killed after claiming leaves a claim that the sweep releases after the lease.
"""

import logging
import smtplib
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import InterfaceError, OperationalError
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from agencies.models import Membership
from cases.models import ACTIVE_AER_STATUSES, AgendaSection, Meeting, Situation, Task

from .models import Kind, Notification
from .sweep import _utc_minute
from .texts import days_overdue, target_url

logger = logging.getLogger(__name__)

# Worth another attempt later: SMTP trouble, network trouble, a database restart.
# (smtplib.SMTPException is an OSError; both are listed so the intent is plain.)
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError, OperationalError, InterfaceError)


# --- Delivery -----------------------------------------------------------------------------------


class MailServerUnavailable(OSError):
    """The mail server could not be reached at all (refused, timed out, TLS or login failed while
    connecting). An outage of the server, not a fault of the notification: it is not charged to
    the row's attempts, so a long SMTP outage cannot exhaust them."""


class _Mailer:
    """One email connection per batch, opened only if something is actually sent."""

    def __init__(self):
        self.connection = None

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            mail_connection = get_connection(fail_silently=False)
            try:
                mail_connection.open()
            except (smtplib.SMTPException, OSError) as exc:
                raise MailServerUnavailable(type(exc).__name__) from exc
            self.connection = mail_connection
        self.connection.send_messages([message])

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except TRANSIENT_ERRORS:
                logger.warning("email connection did not close cleanly")
            self.connection = None


def deliver_notifications(notification_ids: Iterable[int]) -> dict[str, int]:
    """Send each notification that nobody has sent or claimed; count the outcomes."""
    outcomes: Counter = Counter()
    mailer = _Mailer()
    try:
        for notification_id in notification_ids:
            outcomes[deliver_notification(notification_id, mailer=mailer)] += 1
    finally:
        mailer.close()
    return dict(outcomes)


def deliver_notification(notification_id: int, *, mailer: _Mailer | None = None) -> str:
    """Claim, check, render and send one notification. Returns "sent", "skipped" (someone else
    has it or it is done), "cancelled" (no longer true) or "no_email" (in-app only)."""
    claimed = Notification.objects.filter(
        pk=notification_id,
        sent_at__isnull=True,
        cancelled_at__isnull=True,
        claimed_at__isnull=True,
    ).update(claimed_at=timezone.now())
    if claimed != 1:
        return "skipped"
    own_mailer = mailer is None
    mailer = mailer or _Mailer()
    try:
        notification = Notification.objects.select_related(
            "recipient", "recipient__notification_preference", "table"
        ).get(pk=notification_id)
        with translation.override(_language_of(notification.recipient)):
            context = email_context(notification)
            if context is None:
                Notification.objects.filter(pk=notification_id).update(cancelled_at=timezone.now())
                logger.info("notification %s cancelled: no longer due", notification_id)
                return "cancelled"
            if not notification.recipient.email:
                Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())
                return "no_email"
            message = render_email(notification, context)
        mailer.send(message)
    except Exception as exc:
        # Release the claim at once (rather than after the lease) so the retry can take it.
        outage = isinstance(exc, MailServerUnavailable)
        Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
            claimed_at=None,
            enqueued_at=timezone.now(),
            attempts=F("attempts") + (0 if outage else 1),
            last_error=("mail server unavailable" if outage else type(exc).__name__)[:100],
        )
        if outage:
            logger.warning("notification %s not sent: mail server unavailable", notification_id)
        else:
            _log_failure(notification_id, exc)
        raise
    finally:
        if own_mailer:
            mailer.close()
    Notification.objects.filter(pk=notification_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    logger.info("notification %s sent (%s)", notification_id, notification.kind)
    return "sent"


def _log_failure(notification_id: int, exc: Exception) -> None:
    attempts = (
        Notification.objects.filter(pk=notification_id).values_list("attempts", flat=True).first()
    )
    if attempts is not None and attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        logger.error(
            "notification %s abandoned after %s attempts (%s): retried every %s s; "
            "see /healthz and the admin's 'abandoned' filter",
            notification_id,
            attempts,
            type(exc).__name__,
            settings.NOTIFICATION_SLOW_RETRY_SECONDS,
        )
    else:
        logger.warning("notification %s not sent: %s", notification_id, type(exc).__name__)


def abandoned_notifications():
    """Unsent notifications that have used up their attempts (still retried, slowly)."""
    return Notification.objects.filter(
        sent_at__isnull=True,
        cancelled_at__isnull=True,
        attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS,
    )


def _language_of(user) -> str:
    preference = getattr(user, "notification_preference", None)
    return (preference.language if preference else "") or settings.LANGUAGE_CODE


def _is_active_member(user_id: int, table_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user_id,
        table_id=table_id,
        is_active=True,
        table__is_active=True,
        user__is_active=True,
    ).exists()


def email_context(notification: Notification) -> dict | None:
    """What the email says, read fresh from the database; None when it is no longer true (the
    task is done, the meeting moved or started, the person left the table...)."""
    now = timezone.now()
    builder = {
        Kind.MEETING_REMINDER: _meeting_context,
        Kind.TASK_DUE_TOMORROW: _task_context,
        Kind.TASK_OVERDUE: _task_context,
        Kind.TASK_ESCALATION: _task_context,
        Kind.FIRST_CONTACT_OVERDUE: _first_contact_context,
        Kind.WEEKLY_DIGEST: _digest_context,
    }.get(notification.kind)
    if builder is None or not _is_active_member(notification.recipient_id, notification.table_id):
        return None
    context = builder(notification, now)
    if context is None:
        return None
    site = settings.SITE_URL
    return {
        **context,
        "notification": notification,
        "table": notification.table,
        "link": f"{site}{target_url(notification)}",
        "preferences_link": f"{site}/notifications/",
    }


def _meeting_context(notification, now):
    meeting = (
        Meeting.objects.filter(pk=notification.object_id, table_id=notification.table_id)
        .annotate(
            agenda_size=Count("agenda_items"),
            returning=Count(
                "agenda_items", filter=Q(agenda_items__section=AgendaSection.RETURNING)
            ),
        )
        .first()
    )
    if (
        meeting is None
        or meeting.closed_at
        or meeting.started_at
        or meeting.scheduled_at <= now
        or not notification.slot.endswith(_utc_minute(meeting.scheduled_at))
    ):
        return None
    return {
        "scheduled_at": timezone.localtime(meeting.scheduled_at),
        "hours_left": max(round((meeting.scheduled_at - now).total_seconds() / 3600), 1),
        "agenda_size": meeting.agenda_size,
        "returning": meeting.returning,
        "new": meeting.agenda_size - meeting.returning,
        "emergency": meeting.kind == "emergency",
    }


def _task_context(notification, now):
    task = (
        Task.objects.filter(pk=notification.object_id)
        .select_related("situation", "owner_agency")
        .first()
    )
    if (
        task is None
        or task.done_at is not None
        or task.situation.status not in ACTIVE_AER_STATUSES
        or task.due_date.isoformat() != notification.slot
    ):
        return None
    today = timezone.localdate(now)
    still_true = (
        task.due_date >= today
        if notification.kind == Kind.TASK_DUE_TOMORROW
        else task.due_date < today
    )
    if not still_true:
        return None
    return {
        "number": task.situation.number,
        "due_date": task.due_date,
        "days_overdue": days_overdue(task.due_date.isoformat(), today),
        "agency": task.owner_agency.short_name or task.owner_agency.name,
    }


def _first_contact_context(notification, now):
    situation = Situation.objects.filter(
        pk=notification.object_id, table_id=notification.table_id
    ).first()
    if (
        situation is None
        or situation.status not in ACTIVE_AER_STATUSES
        or situation.first_intervention_at is not None
        or situation.f2_decided_at is None
    ):
        return None
    return {
        "number": situation.number,
        "decided_at": timezone.localtime(situation.f2_decided_at),
        "hours": settings.NOTIFICATION_FIRST_CONTACT_HOURS,
        "hours_since": int((now - situation.f2_decided_at).total_seconds() // 3600),
    }


DIGEST_TASK_LIMIT = 25


def _digest_context(notification, now):
    membership = (
        Membership.objects.filter(pk=notification.object_id, user_id=notification.recipient_id)
        .select_related("agency")
        .first()
    )
    preference = getattr(notification.recipient, "notification_preference", None)
    if membership is None or (preference and preference.digest_opt_out):
        return None
    today = timezone.localdate(now)
    tasks = Task.objects.filter(
        owner_agency_id=membership.agency_id,
        situation__table_id=membership.table_id,
        done_at__isnull=True,
        situation__status__in=ACTIVE_AER_STATUSES,
    )
    rows = [
        {"number": number, "due_date": due_date, "overdue": due_date < today}
        for number, due_date in tasks.order_by("due_date", "pk").values_list(
            "situation__number", "due_date"
        )[:DIGEST_TASK_LIMIT]
    ]
    total = tasks.count()
    next_meeting = (
        Meeting.objects.filter(
            table_id=membership.table_id, closed_at__isnull=True, scheduled_at__gte=now
        )
        .annotate(agenda_size=Count("agenda_items"))
        .order_by("scheduled_at")
        .first()
    )
    return {
        "agency": membership.agency.short_name or membership.agency.name,
        "tasks": rows,
        "open_tasks": total,
        "more_tasks": max(total - len(rows), 0),
        "overdue_tasks": tasks.filter(due_date__lt=today).count(),
        "next_meeting": next_meeting,
        "next_meeting_at": timezone.localtime(next_meeting.scheduled_at) if next_meeting else None,
    }


def _message_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "situation-table.invalid"


def render_email(notification: Notification, context: dict) -> EmailMessage:
    base = f"notifications/email/{notification.kind}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    body = render_to_string(f"{base}_body.txt", context)
    headers = {
        # A stable Message-ID: should a crash ever cause a second send, mail systems can tell.
        "Message-ID": f"<notification-{notification.pk}@{_message_domain()}>",
        "X-Situation-Table-Notification": str(notification.pk),
        "Auto-Submitted": "auto-generated",
    }
    if notification.kind == Kind.WEEKLY_DIGEST:
        headers["List-Unsubscribe"] = f"<{context['preferences_link']}>"
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers=headers,
    )
