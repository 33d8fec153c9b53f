"""API tokens for integrations (django-rest-knox): per user, revocable, expiring, hashed at rest.

Only a SHA-512 digest of each token and its first 15 characters (``token_key``, to recognise it in
a list) are stored; the token itself is shown once, when it is created.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import get_token_model
from knox.settings import knox_settings


def active_tokens(user):
    now = timezone.now()
    return (
        get_token_model()
        .objects.filter(user=user)
        .exclude(expiry__lt=now)
        .order_by("-created", "token_key")
    )


@transaction.atomic
def create_token(*, user, expiry_days: int | None = None):
    """Return ``(instance, token)``; refuse beyond the per-user limit (leaked tokens add up)."""
    # Serialize concurrent creations by the same user, so the limit holds.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and active_tokens(user).count() >= limit:
        raise PermissionDenied(
            _("You already have %(n)s active API tokens; revoke one first.") % {"n": limit}
        )
    ttl = datetime.timedelta(days=expiry_days) if expiry_days else knox_settings.TOKEN_TTL
    return get_token_model().objects.create(user=user, expiry=ttl)


def revoke_token(*, user, token_key: str) -> int:
    """Delete the user's token(s) with this key. Another user's key simply matches nothing."""
    deleted, _rows = get_token_model().objects.filter(user=user, token_key=token_key).delete()
    return deleted
