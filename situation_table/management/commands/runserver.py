"""``runserver`` that will not serve the development defaults beyond this machine.

Without ``SECRET_KEY`` (and outside production) the site runs with publicly known keys and, unless
``DJANGO_ENV`` says otherwise, DEBUG on: fine on a laptop (``make run``), wide open on a network.
So it binds to a loopback address only; anything else needs real secrets first.
"""

import ipaddress

from django.conf import settings
from django.core.management.base import CommandError
from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as WhiteNoiseRunserver,
)

LOOPBACK_NAMES = {"localhost"}


def is_loopback(address: str) -> bool:
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class Command(WhiteNoiseRunserver):
    def run(self, **options):
        if settings.DEVELOPMENT_DEFAULTS_IN_USE and not is_loopback(self.addr):
            raise CommandError(
                f"Refusing to serve on {self.addr}: no SECRET_KEY is set, so this site would "
                "run with the publicly known development keys. Serve on 127.0.0.1 (make run), "
                "or set DJANGO_ENV=production with real secrets (see README, 'Configuration')."
            )
        return super().run(**options)
