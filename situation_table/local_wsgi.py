"""The WSGI application ``runserver`` uses (``WSGI_APPLICATION``): runserver guards its own
address (loopback only with the development defaults). Servers load ``situation_table.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")

application = get_wsgi_application()
