"""HTTP helpers shared by every app."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, default: str, *, prefix: str = "/") -> str:
    """The ``next`` target of a request (POST first, then GET) when it is a path on this site
    under ``prefix``; otherwise ``default``. The one guard against open redirects: an absolute
    URL to another host (``https://evil.example/``), a scheme-relative one (``//evil.example``)
    or a backslash trick (``/\\evil.example``) never passes."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith(prefix)
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default
