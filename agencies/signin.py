"""Sign-in protection that cannot be turned into a site-wide outage.

* Per username (django-axes): after ``AXES_FAILURE_LIMIT`` failures that account is paused for
  ``AXES_COOLOFF_MINUTES`` — guessing one person's password stops, nobody else is affected.
* Per client address: no hard lock (behind a shared proxy or an office NAT that would lock
  everyone out), but a progressive delay: after ``SIGNIN_IP_FREE_FAILURES`` failures from one
  address, each further attempt from it must wait 1, 2, 4 … seconds (at most
  ``SIGNIN_IP_MAX_DELAY_SECONDS``) after the previous failure. Spraying many usernames from one
  address slows to a crawl; a colleague on the same network waits seconds, not 15 minutes.
* The client address is the connecting peer, or — only when that peer is one of
  ``TRUSTED_PROXIES`` — the last address in ``X-Forwarded-For`` that is not a trusted proxy.
  A forged header from anyone else is ignored.
"""

import ipaddress
import time

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver


def _networks():
    cached = getattr(_networks, "_cache", None)
    if cached is None or cached[0] != settings.TRUSTED_PROXIES:
        nets = tuple(ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES)
        _networks._cache = cached = (list(settings.TRUSTED_PROXIES), nets)
    return cached[1]


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address) -> bool:
    return address is not None and any(address in net for net in _networks())


def client_ip(request) -> str | None:
    """The real client address (see the module docstring), None if there is none; never
    raises."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return None
    if not _trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [_parse(part) for part in forwarded.split(",") if part.strip()]
    for hop in reversed(hops):
        if hop is None:
            break  # a malformed entry: stop trusting the chain here
        if not _trusted(hop):
            return str(hop)
    return str(peer)


def _key(ip: str | None) -> str:
    return f"signin-ip:{ip or 'none'}"


def record_failure(ip: str) -> None:
    key = _key(ip)
    state = cache.get(key) or {"failures": 0, "last": 0.0}
    state = {"failures": state["failures"] + 1, "last": time.time()}
    cache.set(key, state, timeout=int(settings.AXES_COOLOFF_TIME.total_seconds()))


def wait_seconds(ip: str) -> int:
    """How long this address must still wait before its next attempt (0: go ahead)."""
    state = cache.get(_key(ip))
    if not state:
        return 0
    extra = state["failures"] - settings.SIGNIN_IP_FREE_FAILURES
    if extra < 0:
        return 0
    delay = min(2**extra, settings.SIGNIN_IP_MAX_DELAY_SECONDS)
    remaining = state["last"] + delay - time.time()
    return max(0, int(remaining + 0.999))


@receiver(user_login_failed)
def count_failure_per_address(sender, credentials, request=None, **kwargs):
    if request is not None:
        record_failure(client_ip(request))
