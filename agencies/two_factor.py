"""Two-factor authentication helpers: who must use it, verifying a code, the setup QR code."""

from base64 import b32encode

import segno
from django.conf import settings
from django.utils.safestring import mark_safe
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .permissions import active_memberships


def two_factor_required(user) -> bool:
    """Operators (staff), and chairs, coordinators and privacy officers (``OTP_REQUIRED_ROLES``)
    on any active table, must verify a code; so must anyone who chose to set up a device."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True  # operators: /admin/ and everything else need the second factor too
    if active_memberships(user).filter(role__in=settings.OTP_REQUIRED_ROLES).exists():
        return True
    return user_has_device(user)


def has_totp_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verify_code(user, token: str):
    """The confirmed device (authenticator or backup codes) that accepts ``token``, or None.

    Each device is verified on its own (django-otp's throttling counts per device), rather than
    with ``match_token``, which the django-otp documentation no longer recommends.
    """
    for device in list(devices_for_user(user, confirmed=True)):
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


def is_throttled(user) -> bool:
    """True when every device refuses to verify for now (too many wrong codes)."""
    devices = list(devices_for_user(user, confirmed=True))
    return bool(devices) and not any(d.verify_is_allowed()[0] for d in devices)


def qr_svg(data: str) -> str:
    """An inline SVG QR code made on the server (no third-party image service sees the secret).

    segno writes only the QR path and our fixed attributes; ``data`` is encoded as modules, not
    markup, so the result is safe to embed.
    """
    svg = segno.make(data, error="m").svg_inline(
        scale=5, dark="#1b2430", light="#ffffff", border=3, omitsize=True
    )
    # segno output: our fixed attributes and a path; the URL is encoded as modules, not markup.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703  # segno SVG, no user markup


def manual_key(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an authenticator by hand."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
