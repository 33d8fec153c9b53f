import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402  # after setup

if settings.DJANGO_ENV_IMPLICIT and settings.DEVELOPMENT_DEFAULTS_IN_USE:
    # gunicorn or uWSGI is how this site is deployed. A deployment that forgot DJANGO_ENV would
    # otherwise run in development mode (DEBUG on, publicly known keys): refuse to start instead.
    raise ImproperlyConfigured(
        "DJANGO_ENV is not set and no SECRET_KEY is given: refusing to serve the development "
        "defaults from a WSGI server. Set DJANGO_ENV=production with its secrets (README, "
        "'Configuration'), or DJANGO_ENV=development to run a local WSGI server on purpose."
    )
