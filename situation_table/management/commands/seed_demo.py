from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.demo import (
    DEMO_AGREEMENT_PENDING,
    demo_users,
    seed_agreements,
    seed_backup_codes,
    seed_tables_and_people,
)
from cases.demo import seed_cases
from consent.demo import seed_consent
from notifications.demo import seed_notifications


class Command(BaseCommand):
    help = "Create or refresh the demo tables, agencies, people and situations (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production.")
        seed_tables_and_people()
        seed_cases()
        seed_notifications()
        seed_consent()
        seed_agreements()
        backup_codes = seed_backup_codes()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        if not options["quiet_logins"]:
            self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
            for user in demo_users():
                line = f"  {user.username:<22} {user.role:<16} {user.table}"
                if user.username in backup_codes:
                    line += "  2FA backup codes: " + " ".join(backup_codes[user.username])
                if user.username == DEMO_AGREEMENT_PENDING:
                    line += "  (has not accepted the agreement: shows the gate)"
                self.stdout.write(line)
            self.stdout.write(
                "Chair, coordinator and privacy officer sign-ins ask for a second factor: "
                "enter one of the backup codes above (each works once; run seed_demo again for "
                "more), or set up an authenticator app."
            )
