from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agencies.demo import demo_users, seed_tables_and_people
from cases.demo import seed_cases
from consent.demo import seed_consent


class Command(BaseCommand):
    help = "Create or refresh the demo tables, agencies, people and situations (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production.")
        seed_tables_and_people()
        seed_cases()
        seed_consent()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        if not options["quiet_logins"]:
            self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
            for user in demo_users():
                self.stdout.write(f"  {user.username:<22} {user.role:<16} {user.table}")
