"""Rotating ``BLIND_INDEX_KEY``: recompute every stored blind index under the key now configured.

The index is an HMAC of the normalised name and date of birth, so it can only be recomputed from
the decrypted record: rows whose identifying information was purged have nothing to recompute.
The work goes in small batches, each in its own transaction, in id order; a row already under the
current key is left alone, so an interrupted run is simply started again (or resumed after the
last id it printed) and does not redo finished work.
"""

from dataclasses import dataclass

from django.db import transaction

from . import crypto
from .models import IdentifyingInfo


@dataclass
class RotationReport:
    checked: int = 0
    updated: int = 0
    unreadable: int = 0  # rows no configured encryption key opens (left unchanged)
    last_id: int = 0


def _current_index(data: dict) -> str:
    return crypto.blind_index(
        data.get("given_name", ""), data.get("family_name", ""), data.get("date_of_birth", "")
    )


def rotate_blind_index(
    *, after_id: int = 0, batch_size: int = 500, dry_run: bool = False, progress=None
) -> RotationReport:
    report = RotationReport(last_id=after_id)
    while True:
        with transaction.atomic():
            batch = list(
                IdentifyingInfo.objects.select_for_update()
                .filter(pk__gt=report.last_id)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return report
            changed = []
            for person in batch:
                report.checked += 1
                try:
                    index = _current_index(person.decrypt())
                except crypto.DecryptionError:
                    report.unreadable += 1
                    continue
                if index != person.blind_index:
                    person.blind_index = index
                    changed.append(person)
            if changed and not dry_run:
                IdentifyingInfo.objects.bulk_update(changed, ["blind_index"])
            report.updated += len(changed)
            report.last_id = batch[-1].pk
        if progress is not None:
            progress(report)
