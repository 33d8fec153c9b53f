"""Celery tasks: thin, idempotent, ids only in their arguments.

``acks_late`` (also the project default) keeps a message in Redis until the task has finished, so
a worker killed mid-task leaves it to be redelivered; the database claim makes the redelivery
harmless. The sweep, run by beat every few minutes, re-finds anything a lost message left behind.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import services


@shared_task(
    bind=True,
    name="notifications.tasks.send_notifications",
    acks_late=True,
    autoretry_for=services.TRANSIENT_ERRORS,
    retry_backoff=settings.NOTIFICATION_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def send_notifications(self, notification_ids: list[int]) -> dict[str, int]:
    """Email these notifications (those nobody has sent or claimed yet)."""
    return services.deliver_notifications(int(i) for i in notification_ids)


@shared_task(
    name="notifications.tasks.run_sweep",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
)
def run_sweep() -> dict:
    """Find due reminders, notices and digests; enqueue every unsent notification."""
    return services.sweep().as_dict()


@shared_task(name="notifications.tasks.run_retention_purge", acks_late=True)
def run_retention_purge_under_its_old_name():
    """The purge moved to ``consent.tasks.run_retention_purge``; a message queued under the old
    name during an upgrade still runs it. Remove after one release."""
    from consent.tasks import run_retention_purge

    return run_retention_purge()
