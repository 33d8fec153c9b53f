"""API tokens for integrations (django-rest-knox): per user, revocable, expiring, hashed at rest.

Only a SHA-512 digest of each token and its first 15 characters (``token_key``, to recognise it in
a list) are stored; the token itself is shown once, when it is created.

A token never carries rights of its own: every request is checked against the person's
memberships at that moment, like the browser. It only adds limits (``ApiTokenPolicy``): read-only
unless made for writing; refused for a role that needs the second factor unless it was made from
a session that passed it; expired after ``API_TOKEN_IDLE_DAYS`` unused. All of a person's tokens
are revoked when their password, role or seats change, or the account is deactivated
(``agencies.signals``). Creating, revoking and every use of a write token are audited.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import get_token_model
from knox.settings import knox_settings

from core.audit import record_event

from ..models import ApiTokenPolicy, Membership, TokenScope
from ..permissions import Capability, TableAccess


def active_tokens(user):
    now = timezone.now()
    return (
        get_token_model()
        .objects.filter(user=user)
        .exclude(expiry__lt=now)
        .select_related("policy")
        .order_by("-created", "token_key")
    )


def tokens_of_table(access: TableAccess):
    """The active tokens of the table's active members, for the coordinator to review."""
    access.require(Capability.MANAGE_MEMBERS)
    members = Membership.objects.filter(table=access.table, is_active=True).values("user_id")
    return (
        get_token_model()
        .objects.filter(user_id__in=members)
        .exclude(expiry__lt=timezone.now())
        .select_related("policy", "user")
        .order_by("user__username", "-created", "token_key")
    )


@transaction.atomic
def create_token(
    *, user, expiry_days: int | None = None, scope: str = TokenScope.READ, second_factor=False
):
    """Return ``(instance, token)``; refuse beyond the per-user limit (leaked tokens add up)."""
    if scope not in TokenScope.values:
        raise ValidationError({"scope": _("Choose read or write.")})
    # Serialize concurrent creations by the same user, so the limit holds.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and active_tokens(user).count() >= limit:
        raise PermissionDenied(
            _("You already have %(n)s active API tokens; revoke one first.") % {"n": limit}
        )
    ttl = datetime.timedelta(days=expiry_days) if expiry_days else knox_settings.TOKEN_TTL
    instance, token = get_token_model().objects.create(user=user, expiry=ttl)
    ApiTokenPolicy.objects.create(
        token=instance, scope=scope, second_factor=second_factor, last_used_at=timezone.now()
    )
    record_event(
        actor=user,
        event="api_token.created",
        data={"user_id": user.pk, "token_key": instance.token_key, "scope": scope},
    )
    return instance, token


def revoke_token(*, user, token_key: str, actor=None) -> int:
    """Delete ``user``'s token(s) with this key. Another user's key simply matches nothing."""
    with transaction.atomic():
        deleted, _rows = get_token_model().objects.filter(user=user, token_key=token_key).delete()
        if deleted:
            record_event(
                actor=actor or user,
                event="api_token.revoked",
                data={"user_id": user.pk, "token_key": token_key},
            )
    return deleted


def revoke_member_token(*, access: TableAccess, token_key: str) -> int:
    """The coordinator revokes a token of one of the table's members."""
    token = tokens_of_table(access).filter(token_key=token_key).first()
    if token is None:
        return 0
    return revoke_token(user=token.user, token_key=token_key, actor=access.user)


def revoke_all_tokens(*, user_id: int, reason: str) -> int:
    """Every token of the person, e.g. after a password, role or seat change."""
    with transaction.atomic():
        deleted, _rows = get_token_model().objects.filter(user_id=user_id).delete()
        if deleted:
            record_event(
                actor=None,
                event="api_token.revoked_all",
                data={"user_id": user_id, "reason": reason},
            )
    return deleted


def idle_limit() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_IDLE_DAYS)


def record_write_use(*, user, token, method: str, path: str) -> None:
    """Every request made with a write token that may change something (ids only in the path)."""
    record_event(
        actor=user,
        event="api_token.write_used",
        data={"token_key": token.token_key, "method": method, "path": path[:300]},
    )
