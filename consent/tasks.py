"""Consent's scheduled work. Tasks take no identifying data and return counts only."""

from celery import shared_task


@shared_task(name="consent.tasks.end_access_on_expired_consent", acks_late=True)
def end_access_on_expired_consent():
    """Daily: revoke the disclosures (and object permissions) whose consent has expired."""
    from consent.services import end_access_on_expired_consent as sweep

    return sweep(actor=None)


@shared_task(name="consent.tasks.write_audit_checkpoint", acks_late=True)
def write_audit_checkpoint():
    """Hourly: append a signed checkpoint of the audit chain to AUDIT_CHECKPOINT_DIR."""
    from consent.audit import write_checkpoint

    checkpoint = write_checkpoint()
    return {"written": checkpoint is not None, "count": checkpoint["count"] if checkpoint else 0}
