"""Issue 15, part 6: reveal is a POST with CSRF, signed-in pages are not stored, the session key
rotates at the second factor, and setting up two-factor writes nothing until it is confirmed."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "name",
    ["home", "table-overview", "situation-list", "table-members", "otp-manage", "password_change"],
)
def test_every_signed_in_page_is_no_store(client, cast, name):
    client.force_login(cast.chair)
    args = [] if name in ("home", "otp-manage", "password_change") else [cast.table.pk]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def _sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_session_key_rotates_when_the_code_is_verified(client, cast, settings):
    settings.OTP_ENFORCED = True
    device = TOTPDevice.objects.create(user=cast.chair, name="authenticator", confirmed=True)
    _sign_in(client, cast.chair)
    before = client.session.session_key
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(reverse("otp-verify"), {"token": code})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    assert client.get(reverse("table-overview", args=[cast.table.pk])).status_code == 200
    # The session id known before the second factor no longer opens anything.
    stale = client.__class__()
    stale.cookies["sessionid"] = before
    assert stale.get(reverse("table-overview", args=[cast.table.pk])).status_code == 302


def test_visiting_two_factor_setup_creates_no_device(client, cast, settings):
    settings.OTP_ENFORCED = True
    _sign_in(client, cast.chair)
    for _ in range(3):
        assert client.get(reverse("otp-setup")).status_code == 200
    assert not TOTPDevice.objects.filter(user=cast.chair).exists()
    # A wrong code does not store one either.
    assert client.post(reverse("otp-setup"), {"token": "000000"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=cast.chair).exists()


def test_two_factor_setup_rotates_the_session_key_and_stores_one_confirmed_device(
    client, cast, settings
):
    settings.OTP_ENFORCED = True
    _sign_in(client, cast.chair)
    client.get(reverse("otp-setup"))
    before = client.session.session_key
    device = TOTPDevice(key=client.session["otp_setup_pending"]["key"])
    response = client.post(reverse("otp-setup"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert client.session.session_key != before
    stored = TOTPDevice.objects.get(user=cast.chair)
    assert stored.confirmed and stored.key == device.key
