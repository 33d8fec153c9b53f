"""Password resets, the one way anyone — an operator included — gets a person a new password.

Nobody sets another person's password: an operator (or the person themselves, from the sign-in
page) can only have a single-use link emailed to the address on the account. The link carries
Django's signed, expiring token (invalidated by the password change itself); the confirmation
page moves it out of the address bar, and log lines never show it (situation_table.redaction).
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.audit import record_event

logger = logging.getLogger(__name__)


def reset_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])


def _send(user_id: int, url: str, language: str) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    with translation.override(language):
        context = {"url": url, "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        subject = render_to_string("agencies/email/password_reset_subject.txt", context).strip()
        body = render_to_string("agencies/email/password_reset_body.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # the person can ask again; the id only, never the address
        logger.exception("password reset email failed (user %s)", user_id)


def send_password_reset(*, user, actor=None, via: str) -> None:
    """Email ``user`` a reset link (after commit) and audit who asked. ``actor`` is the operator
    who sent it, or None when the person asked from the sign-in page."""
    if not user.is_active or not user.email:
        return
    url = reset_url(user)
    language = translation.get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        record_event(
            actor=actor,
            event="account.password_reset_sent",
            obj=user,
            data={"user_id": user.pk, "via": via},
        )
        transaction.on_commit(lambda: _send(user.pk, url, language))


def record_password_reset(*, user) -> None:
    """The person chose a new password through a reset link."""
    record_event(actor=user, event="account.password_reset", obj=user, data={"user_id": user.pk})


# --- Asking for a reset from the sign-in page ---------------------------------------------------


def _hit(key: str, window: int) -> int:
    """Count one request under ``key`` for ``window`` seconds; returns the count so far."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def address_limited(ip: str | None) -> bool:
    """Too many reset requests from this client address (the page says so: it reveals nothing
    about any account)."""
    count = _hit(f"pwreset-ip:{ip or 'none'}", 3600)
    return count > settings.PASSWORD_RESET_IP_LIMIT_PER_HOUR


def request_password_reset(*, email: str, ip: str | None) -> None:
    """Email a reset link to the active accounts with this address, at most
    ``PASSWORD_RESET_EMAIL_LIMIT_PER_HOUR`` times an hour per address. The caller answers the same
    whatever happens here, so nobody learns whether an address has an account."""
    from django.contrib.auth import get_user_model

    email = email.strip()
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    if _hit(f"pwreset-email:{digest}", 3600) > settings.PASSWORD_RESET_EMAIL_LIMIT_PER_HOUR:
        return
    for user in get_user_model().objects.filter(email__iexact=email, is_active=True):
        send_password_reset(user=user, actor=None, via="self")
