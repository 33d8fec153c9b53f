"""Consent's scheduled work. Tasks take no identifying data and return counts only."""

from celery import shared_task


@shared_task(name="consent.tasks.end_access_on_expired_consent", acks_late=True)
def end_access_on_expired_consent():
    """Daily: revoke the disclosures (and object permissions) whose consent has expired."""
    from consent.services import end_access_on_expired_consent as sweep

    return sweep(actor=None)
