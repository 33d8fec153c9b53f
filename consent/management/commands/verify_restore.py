from django.core.management.base import BaseCommand, CommandError

from consent.audit_checks import verify_chain
from consent.crypto import DecryptionError
from consent.models import IdentifyingInfo


class Command(BaseCommand):
    help = (
        "After a restore: decrypt every row of identifying information with the configured keys "
        "and verify the audit chain. Prints counts only, never a value."
    )

    def handle(self, *args, **options):
        total = ok = 0
        for row in IdentifyingInfo.objects.only("pk", "ciphertext").iterator():
            total += 1
            try:
                row.decrypt()
            except DecryptionError:
                continue
            ok += 1
        report = verify_chain()
        self.stdout.write(f"identifying information decrypted: {ok}/{total}")
        self.stdout.write(
            f"audit chain: {'intact' if report.ok else 'BROKEN'} ({report.checked} rows)"
        )
        if ok != total or not report.ok:
            raise CommandError("Restore drill failed.")
