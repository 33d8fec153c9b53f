"""Consent's scheduled work. Tasks take no identifying data and return counts only."""

from celery import shared_task


@shared_task(name="consent.tasks.end_access_on_expired_consent", acks_late=True)
def end_access_on_expired_consent():
    """Daily: revoke the disclosures (and object permissions) whose consent has expired."""
    from consent.services import end_access_on_expired_consent as sweep

    return sweep(actor=None)


@shared_task(name="consent.tasks.run_retention_purge", acks_late=True)
def run_retention_purge():
    """Daily: purge identifying information past its retention period."""
    from consent.services import purge_identifying_info

    report = purge_identifying_info(dry_run=False, actor=None)
    # The worker logs a task's return value: only a count leaves the task.
    return getattr(report, "people", report)


@shared_task(name="consent.tasks.write_audit_checkpoint", acks_late=True)
def write_audit_checkpoint():
    """Hourly: verify the whole chain (with the access log and the timeline) and append a signed
    checkpoint to AUDIT_CHECKPOINT_DIR; nothing is written over a broken chain."""
    from consent.audit_checks import write_checkpoint

    checkpoint = write_checkpoint()
    return {"written": checkpoint is not None, "count": checkpoint["count"] if checkpoint else 0}
