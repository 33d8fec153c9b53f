"""Session bookkeeping on sign-in (connected in ``AgenciesConfig.ready``)."""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

LAST_ACTIVITY_KEY = "last_activity"


@receiver(user_logged_in)
def start_idle_clock(sender, request, user, **kwargs):
    """The idle timeout counts from sign-in, so the first page does not need a session write."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())
