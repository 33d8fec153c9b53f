"""The ASGI application ``runserver`` uses (``ASGI_APPLICATION``): runserver guards its own
address (loopback only with the development defaults). Servers load ``situation_table.asgi``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")

from situation_table.routing import application  # noqa: E402,F401
