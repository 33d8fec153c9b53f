"""Celery application, configured from Django settings (``CELERY_*``).

Without ``REDIS_URL`` the settings make tasks run eagerly, so ``make run`` needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")

app = Celery("situation_table")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
