from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = (
        "Find due meeting reminders, deadline notices and digests, and enqueue every unsent "
        "notification (what celery beat runs every few minutes). Safe to run any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-enqueue",
            action="store_true",
            help="Record due notifications without handing them to the workers.",
        )

    def handle(self, *args, **options):
        result = services.sweep(enqueue=not options["no_enqueue"])
        created = ", ".join(f"{kind}: {n}" for kind, n in sorted(result.created.items()))
        self.stdout.write(
            f"Created {result.created_total} notification(s){f' ({created})' if created else ''}; "
            f"enqueued {result.enqueued}; released {result.released} expired claim(s)."
        )
