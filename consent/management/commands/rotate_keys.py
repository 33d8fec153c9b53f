from django.core.management.base import BaseCommand
from django.db import transaction

from consent import crypto
from consent.models import IdentifyingInfo
from core.audit import record_event


class Command(BaseCommand):
    help = (
        "Re-encrypt identifying information under the newest key (the first of "
        "FIELD_ENCRYPTION_KEYS). Resumable: rows already under the newest key are skipped, so it "
        "can be interrupted and run again. Afterwards the old key can be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        current = crypto.key_fingerprint()
        rotated = failed = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    IdentifyingInfo.objects.select_for_update(skip_locked=True)
                    .filter(pk__gt=last_pk)
                    .exclude(key_id=current)
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                for person in batch:
                    last_pk = person.pk
                    try:
                        person.ciphertext = crypto.rotate_token(person.ciphertext)
                    except crypto.DecryptionError:
                        failed += 1
                        self.stderr.write(f"Row {person.pk}: cannot be decrypted with any key.")
                        continue
                    person.key_id = current
                    rotated += 1
                IdentifyingInfo.objects.bulk_update(batch, ["ciphertext", "key_id"])
        already = IdentifyingInfo.objects.filter(key_id=current).count() - rotated
        record_event(
            actor=None,
            event="keys.rotated",
            data={"rotated": rotated, "already_current": already, "failed": failed},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Rotated {rotated} rows; {already} were already under the newest key; "
                f"{failed} could not be decrypted."
            )
        )
