"""The accounts app's API policies, named in ``settings.REST_FRAMEWORK``: the token
authentication and the token rate limit. (The error handler and paging are ``core.api.policies``.)

DRF imports these while it defines its own view classes, so this module must not import
``rest_framework.views`` (or anything that does) at import time.

Errors get one JSON shape, and the domain errors are mapped here, in one place:

* ``core.exceptions.InvalidTransition`` → 409 ``{"detail", "code": "invalid_transition"}``
* Django or DRF ``ValidationError`` → 400 ``{"detail", "code": "invalid", "errors": {field: [..]}}``
* ``PermissionDenied`` → 403, ``Http404`` → 404, no credentials → 401, too many requests → 429.

Messages come from the services and the PII guard, which never echo what the user typed, so an
error response cannot carry identifying information back.
"""

import logging
import re

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle

from agencies.models import ApiTokenPolicy, TokenScope

logger = logging.getLogger(__name__)
_HEX_TOKEN = re.compile(rb"[0-9a-f]{64}")
# Write a token's last use at most once a minute, not on every request.
LAST_USED_RESOLUTION_SECONDS = 60

# --- Throttling -------------------------------------------------------------------------------


class TokenRateThrottle(UserRateThrottle):
    """Limits requests made with an API token (integrations), per user; the browser session is
    not limited. The rate is ``settings.API_RATE_LIMIT`` (env ``API_RATE_LIMIT``, e.g.
    ``600/hour``), read per request so that an operator's change needs no code."""

    scope = "token"

    def get_rate(self):
        return getattr(settings, "API_RATE_LIMIT", None)

    def allow_request(self, request, view):
        if not isinstance(request.auth, _token_model()):
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - the counters' cache (Redis) is down or unreachable
            # Fail open: an outage of the cache must not take the API down with it. Tokens are
            # still authenticated and every permission still applies; only the rate is unchecked.
            logger.warning("API rate limit not checked: the cache is unavailable")
            return True


def _token_model():
    from knox.models import get_token_model

    return get_token_model()


# --- Token authentication ----------------------------------------------------------------------


class TokenAuthentication(KnoxTokenAuthentication):
    """django-rest-knox's authentication, with the limits of ``agencies.api.tokens``.

    Refuses a malformed token with 401 before any lookup (knox decodes the header as UTF-8 and
    would fail with a 500 on other bytes; our tokens are hexadecimal). Then: a token without a
    policy (made before scopes existed) or idle too long is refused; a token made without the
    second factor is refused once the person's role needs it; a read-only token may not change
    anything; every change attempted with a write token is audited."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        policy = token.policy
        if request.method not in SAFE_METHODS:
            if policy.scope != TokenScope.WRITE:
                raise exceptions.PermissionDenied(
                    _("This API token is read-only."), code="read_only_token"
                )
            from . import tokens

            tokens.record_write_use(
                user=user, token=token, method=request.method, path=request.path
            )
        return user, token

    def authenticate_credentials(self, token):
        if not _HEX_TOKEN.fullmatch(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, auth_token = super().authenticate_credentials(token)
        from agencies.two_factor import two_factor_required

        from . import tokens

        policy = ApiTokenPolicy.objects.filter(token=auth_token).first()
        now = timezone.now()
        if policy is None or policy.last_used_at < now - tokens.idle_limit():
            auth_token.delete()
            raise exceptions.AuthenticationFailed(
                _("This token expired: it was not used for %(days)d days.")
                % {"days": settings.API_TOKEN_IDLE_DAYS}
            )
        if settings.OTP_ENFORCED and not policy.second_factor and two_factor_required(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "Your role needs two-factor authentication: create a new token from a "
                    "session that passed it."
                )
            )
        if (now - policy.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
            ApiTokenPolicy.objects.filter(pk=policy.pk).update(last_used_at=now)
            policy.last_used_at = now
        auth_token.policy = policy
        return user, auth_token
