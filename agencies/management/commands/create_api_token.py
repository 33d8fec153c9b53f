"""Create an API token for a user, for an integration set up by an operator.

The token is printed once, on standard output, and only its digest is stored. Nothing is logged.
It is made without a second factor, so it is refused (with OTP_ENFORCED) for anyone whose role
needs one: those people create their tokens from a verified browser session.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from agencies.api.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it once (only a digest is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until the token expires (default: API_TOKEN_TTL_DAYS, 90).",
        )
        parser.add_argument(
            "--write",
            action="store_true",
            help="A read-write token (default: read-only). Every change made with it is audited.",
        )

    def handle(self, *args, username, days, write, **options):
        if days is not None and not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365.")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        try:
            instance, token = create_token(
                user=user, expiry_days=days, scope="write" if write else "read"
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        expiry = instance.expiry.isoformat(timespec="minutes") if instance.expiry else "never"
        self.stderr.write(f"Token for {username} (key {instance.token_key}, expires {expiry}):")
        self.stdout.write(token)
