"""Two-factor authentication for chairs, coordinators and privacy officers (django-otp, TOTP)."""

import datetime
import os
import subprocess
import sys

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent
from tests.conftest import PASSWORD
from tests.test_settings import ROOT


@pytest.fixture(autouse=True)
def enforced(settings):
    """The test settings leave 2FA off (the suite signs in with force_login); prove it here."""
    settings.OTP_ENFORCED = True


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app would show now (RFC 6238, computed from the device key)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return response


def confirmed_totp(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def pending_device(client) -> TOTPDevice:
    """The authenticator being set up: only in the session (nothing is stored before a code)."""
    return TOTPDevice(key=client.session["otp_setup_pending"]["key"])


def overview(cast):
    return reverse("table-overview", args=[cast.table.pk])


def test_chair_without_a_device_is_sent_to_set_one_up(client, cast):
    sign_in(client, cast.chair)
    response = client.get(overview(cast))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-setup") + "?next=")
    page = client.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body  # the QR code is drawn on the server, inline
    assert "<img" not in body.split('id="main"')[1]  # no third-party QR image service
    assert "otpauth://" not in body  # the secret is in the drawing and the manual key only


def test_chair_sets_up_an_authenticator_with_a_real_code(client, cast):
    sign_in(client, cast.chair)
    setup = reverse("otp-setup") + "?next=" + overview(cast)
    client.get(setup)
    assert not TOTPDevice.objects.filter(user=cast.chair).exists()
    device = pending_device(client)

    wrong = client.post(setup, {"token": "000000", "next": overview(cast)})
    assert wrong.status_code == 400
    assert b"did not match" in wrong.content

    throttled = client.post(setup, {"token": code_for(device), "next": overview(cast)})
    assert b"Too many wrong codes" in throttled.content  # django-otp: a pause after each miss
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3), tick=False):
        response = client.post(setup, {"token": code_for(device), "next": overview(cast)})
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-backup-codes"))
    assert TOTPDevice.objects.get(user=cast.chair).confirmed
    codes_page = client.get(response.url)
    assert codes_page.status_code == 200
    codes = codes_page.context["codes"]
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=cast.chair).values_list("token", flat=True)
    )
    assert client.get(response.url).status_code == 302  # shown once
    assert client.get(overview(cast)).status_code == 200
    assert AuditEvent.objects.filter(
        event="account.totp_confirmed", actor_id=cast.chair.pk
    ).exists()
    assert AuditEvent.objects.filter(event="account.backup_codes_issued").exists()


def test_chair_with_a_device_must_enter_a_code_before_any_table_page(client, cast):
    device = confirmed_totp(cast.chair)
    sign_in(client, cast.chair)
    for url in (overview(cast), reverse("home"), reverse("table-members", args=[cast.table.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("otp-verify"))
    verify = reverse("otp-verify") + "?next=" + overview(cast)
    bad = client.post(verify, {"token": "123456", "next": overview(cast)})
    assert bad.status_code == 400
    assert b"That code is not valid" in bad.content
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3), tick=False):
        response = client.post(verify, {"token": code_for(device), "next": overview(cast)})
    assert response.status_code == 302
    assert response.url == overview(cast)
    assert client.get(overview(cast)).status_code == 200


def test_a_used_code_cannot_be_replayed(client, cast):
    device = confirmed_totp(cast.chair)
    code = code_for(device)
    sign_in(client, cast.chair)
    client.post(reverse("otp-verify"), {"token": code})
    client.logout()
    sign_in(client, cast.chair)
    response = client.post(reverse("otp-verify"), {"token": code})
    assert response.status_code == 400


def test_a_backup_code_works_once(client, cast):
    device = StaticDevice.objects.create(user=cast.coordinator, name="backup", confirmed=True)
    device.token_set.create(token="abcd2345")
    sign_in(client, cast.coordinator)
    response = client.post(reverse("otp-verify"), {"token": "ABCD 2345"})
    assert response.status_code == 302
    assert client.get(overview(cast)).status_code == 200
    client.logout()
    sign_in(client, cast.coordinator)
    assert client.post(reverse("otp-verify"), {"token": "abcd2345"}).status_code == 400


def test_someone_with_only_a_password_cannot_register_their_own_authenticator(client, cast):
    confirmed_totp(cast.privacy)
    sign_in(client, cast.privacy)
    response = client.get(reverse("otp-setup"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))
    assert not TOTPDevice.objects.filter(user=cast.privacy, confirmed=False).exists()


def test_too_many_wrong_codes_are_throttled(client, cast):
    device = confirmed_totp(cast.chair)
    sign_in(client, cast.chair)
    for _ in range(3):
        client.post(reverse("otp-verify"), {"token": "000000"})
    response = client.post(reverse("otp-verify"), {"token": code_for(device)})
    assert response.status_code == 400
    assert b"Too many wrong codes" in response.content


def test_a_representative_is_not_asked(client, cast):
    sign_in(client, cast.rep_police)
    assert client.get(overview(cast)).status_code == 200


def test_the_required_roles_are_a_setting(client, cast, settings):
    settings.OTP_REQUIRED_ROLES = ["chair"]
    sign_in(client, cast.coordinator)
    assert client.get(overview(cast)).status_code == 200
    sign_in(client, cast.chair)
    assert client.get(overview(cast)).status_code == 302


def test_htmx_requests_are_redirected_by_htmx(client, cast):
    sign_in(client, cast.chair)
    response = client.get(overview(cast), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("otp-setup"))


def test_backup_codes_are_renewed_only_from_a_verified_session(client, cast):
    device = confirmed_totp(cast.chair)
    sign_in(client, cast.chair)
    response = client.post(reverse("otp-backup-codes"))
    assert response.url.startswith(reverse("otp-verify"))
    assert not StaticToken.objects.exists()
    client.post(reverse("otp-verify"), {"token": code_for(device)})
    response = client.post(reverse("otp-backup-codes"))
    assert response.url == reverse("otp-backup-codes")
    assert StaticToken.objects.filter(device__user=cast.chair).count() == 10


def test_manage_page_shows_the_state(client, cast):
    device = confirmed_totp(cast.chair)
    sign_in(client, cast.chair)
    client.post(reverse("otp-verify"), {"token": code_for(device)})
    body = client.get(reverse("otp-manage")).content.decode()
    assert "Required for your role" in body
    assert "Replace authenticator app" in body


def test_enforcement_is_on_outside_the_test_settings():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.OTP_ENFORCED, ','.join(s.OTP_REQUIRED_ROLES))"
    )
    for env_name, expected in (("development", "True"), ("test", "False")):
        env = {k: v for k, v in os.environ.items() if k not in ("OTP_ENFORCED",)}
        env.update(DJANGO_SETTINGS_MODULE="situation_table.settings", DJANGO_ENV=env_name)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [expected, "chair,coordinator,privacy_officer"]
