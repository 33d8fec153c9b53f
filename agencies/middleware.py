"""Session idle timeout and the two-factor requirement for privileged roles."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from .signals import LAST_ACTIVITY_KEY
from .two_factor import two_factor_required

# Write the activity time at most this often: one session write a minute, not one per request.
ACTIVITY_RESOLUTION_SECONDS = 60


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class IdleSessionTimeoutMiddleware:
    """Sign out a session that made no request for ``SESSION_IDLE_TIMEOUT_MINUTES``.

    A laptop left open in a meeting room must not stay signed in to identifying information.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._check(request)
        return response or self.get_response(request)

    def _check(self, request):
        timeout = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        if timeout <= 0 or not request.user.is_authenticated:
            return None
        now = int(time.time())
        last = request.session.get(LAST_ACTIVITY_KEY)
        if isinstance(last, int) and now - last > timeout:
            logout(request)
            if _is_api(request):
                return None  # continues as anonymous: the API answers 401/403 itself
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES},
            )
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(reverse(settings.LOGIN_URL))
            return None  # continues as anonymous: login_required sends them to sign in
        if not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
            request.session[LAST_ACTIVITY_KEY] = now
        return None


# Pages a person who still owes a second factor may open.
TWO_FACTOR_EXEMPT_URL_NAMES = frozenset(
    {
        "otp-setup",
        "otp-verify",
        "login",
        "logout",
        "set_language",
        "healthz",
    }
)


class TwoFactorRequiredMiddleware:
    """After the password, chairs, coordinators and privacy officers must verify a one-time code
    (setting one up first if they have no device) before any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.OTP_ENFORCED:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_EXEMPT_URL_NAMES:
            return None
        if not two_factor_required(user):
            return None
        if _is_api(request):
            return JsonResponse(
                {
                    "detail": _(
                        "Two-factor verification is required for your role. Sign in on the "
                        "website and enter your code."
                    ),
                    "code": "two_factor_required",
                },
                status=403,
            )
        target = reverse("otp-verify" if user_has_device(user) else "otp-setup")
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)


class NoStoreWhenSignedInMiddleware:
    """Every page served to a signed-in person is ``Cache-Control: no-store`` (and private): a
    shared meeting-room browser, its back button or a proxy must not keep a copy of a table's
    pages. Anonymous pages (sign-in, public report, static files) keep their own headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
