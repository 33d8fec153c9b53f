"""Identifying information that the conclusion-based retention rule never reaches.

A draft nobody attests (or one returned at Filter 2 and left there) and a situation left open for
a very long time would otherwise keep names, dates of birth and addresses indefinitely. After
``RETENTION_ABANDONED_DRAFT_DAYS`` without a change to a draft, and ``RETENTION_OPEN_DAYS`` after
an open situation was created, its identifying information is purged like any other (the daily
purge), and the originating agency's members at the table get an email that names only the
situation number. ``0`` turns a rule off.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from agencies.models import Membership
from cases.models import Situation, Status

logger = logging.getLogger(__name__)

ABANDONED_DRAFT = "abandoned_draft"
OPEN_TOO_LONG = "open_too_long"
OPEN_PAST_F1 = (Status.PRESENTED, Status.ACCEPTED, Status.INTERVENTION)


def stale_candidates(now=None) -> dict[int, str]:
    """``{situation id: reason}`` for drafts and open situations past their age limit that still
    hold identifying information."""
    now = now or timezone.now()
    with_info = Situation.objects.filter(identifying_info__isnull=False).distinct()
    due: dict[int, str] = {}
    if settings.RETENTION_ABANDONED_DRAFT_DAYS > 0:
        limit = now - datetime.timedelta(days=settings.RETENTION_ABANDONED_DRAFT_DAYS)
        for pk in with_info.filter(status=Status.DRAFT, updated_at__lte=limit).values_list(
            "pk", flat=True
        ):
            due[pk] = ABANDONED_DRAFT
    if settings.RETENTION_OPEN_DAYS > 0:
        limit = now - datetime.timedelta(days=settings.RETENTION_OPEN_DAYS)
        for pk in with_info.filter(status__in=OPEN_PAST_F1, created_at__lte=limit).values_list(
            "pk", flat=True
        ):
            due[pk] = OPEN_TOO_LONG
    return due


def _send_notice(situation_id: int, reason: str) -> None:
    situation = Situation.objects.filter(pk=situation_id).select_related("table").first()
    if situation is None:
        return
    recipients = list(
        Membership.objects.filter(
            table_id=situation.table_id,
            agency_id=situation.originating_agency_id,
            is_active=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    days = (
        settings.RETENTION_ABANDONED_DRAFT_DAYS
        if reason == ABANDONED_DRAFT
        else settings.RETENTION_OPEN_DAYS
    )
    context = {
        "number": situation.number,
        "abandoned": reason == ABANDONED_DRAFT,
        "days": days,
        "url": settings.SITE_URL,
    }
    subject = render_to_string("consent/email/retention_notice_subject.txt", context).strip()
    body = render_to_string("consent/email/retention_notice_body.txt", context)
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # the purge stands; the audit chain records it either way
        logger.exception("retention notice failed (situation %s)", situation_id)


def notify_originating_agency(situation_id: int, reason: str) -> None:
    """After commit: tell the agency that entered it (number only, no identifying information)."""
    transaction.on_commit(lambda: _send_notice(situation_id, reason))
