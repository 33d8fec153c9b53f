"""Daily housekeeping in Celery beat: expired sessions and old sign-in logs do not pile up."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def clear_expired_sessions() -> None:
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()


def delete_old_sign_in_logs(*, days: int) -> int:
    """django-axes' access and failure logs older than ``days`` (lockouts themselves expire on
    their own after the cool-off)."""
    from axes.models import AccessFailureLog, AccessLog

    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted + failures


@shared_task(name="core.tasks.run_housekeeping")
def run_housekeeping() -> int:
    clear_expired_sessions()
    deleted = delete_old_sign_in_logs(days=settings.SIGN_IN_LOG_RETENTION_DAYS)
    from .idempotency import _cutoff
    from .models import IdempotencyKey

    IdempotencyKey.objects.filter(created_at__lt=_cutoff()).delete()
    logger.info("Housekeeping: expired sessions cleared, %s sign-in log rows deleted", deleted)
    return deleted
