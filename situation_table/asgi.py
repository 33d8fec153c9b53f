"""The ASGI application servers load (gunicorn with uvicorn workers, see docker-compose.yml)."""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")

from django.conf import settings  # noqa: E402  # after setup

from situation_table.routing import application  # noqa: E402,F401

if settings.DJANGO_ENV_IMPLICIT and settings.DEVELOPMENT_DEFAULTS_IN_USE:
    # Same rule as wsgi.py: no application server with the development defaults by accident.
    raise ImproperlyConfigured(
        "DJANGO_ENV is not set and no SECRET_KEY is given: refusing to serve the development "
        "defaults from an ASGI server. Set DJANGO_ENV (see README, 'Configuration')."
    )
