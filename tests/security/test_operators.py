"""Issue 15, part 1: operators (Django superusers) are held to the same rules as everyone.

The red team's path was: operator signs in to /admin/ with a password only, reads authenticator
secrets, sets rep-police's password, signs in as rep-police and reveals a name. Each step is shut.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from agencies.models import Membership, Role
from consent.audit_checks import verify_chain
from core.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import UserFactory


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def enforced(settings):
    settings.OTP_ENFORCED = True


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def verified(client, user):
    """Password, then a real code from the person's authenticator."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    sign_in(client, user)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert client.post(reverse("otp-verify"), {"token": code}).status_code == 302
    return client


def test_operator_password_alone_does_not_open_the_admin(client, operator):
    sign_in(client, operator)
    for url in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{operator.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("otp-setup")), url


def test_admin_login_page_alone_does_not_open_the_admin(client, operator):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "operator", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302  # to the second factor


def test_verified_operator_opens_the_admin(client, operator):
    verified(client, operator)
    assert client.get("/admin/").status_code == 200


def test_admin_never_shows_authenticator_secrets_or_backup_codes(client, operator, cast):
    device = TOTPDevice.objects.create(user=cast.chair, name="authenticator", confirmed=True)
    backup = StaticDevice.objects.create(user=cast.chair, name="backup", confirmed=True)
    backup.token_set.create(token="zx7q9k2m")
    verified(client, operator)
    pages = [
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        "/admin/otp_static/staticdevice/",
        f"/admin/otp_static/staticdevice/{backup.pk}/change/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert device.key not in body and "zx7q9k2m" not in body, url
        assert "otpauth://" not in body and "qrcode" not in body.lower(), url
    # django-otp's own admin serves the QR code (the secret) at …/config/ and …/qrcode/: gone.
    for name in ("admin:otp_totp_totpdevice_config", "admin:otp_totp_totpdevice_qrcode"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[device.pk])
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    # A lost phone: the operator deletes the device; the person enrols again.
    response = client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=cast.chair).exists()
    assert AuditEvent.objects.filter(
        event="admin.deleted", actor_id=operator.pk, object_type="otp_totp.totpdevice"
    ).exists()


def test_operator_cannot_set_another_persons_password(client, operator, cast):
    verified(client, operator)
    url = f"/admin/auth/user/{cast.rep_police.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"password1": "operator-chosen-1", "password2": "operator-chosen-1"}
    )
    assert response.status_code == 403
    cast.rep_police.refresh_from_db()
    assert cast.rep_police.check_password(PASSWORD)
    # The change form has no password field and the email cannot be changed (a reset link would
    # go wherever it points).
    change = client.get(f"/admin/auth/user/{cast.rep_police.pk}/change/")
    assert change.status_code == 200
    body = change.content.decode()
    assert 'name="password' not in body and 'name="email"' not in body
    client.post(
        f"/admin/auth/user/{cast.rep_police.pk}/change/",
        {
            "username": cast.rep_police.username,
            "email": "operator@example.invalid",
            "password": "md5$x$y",
            "is_active": "on",
            "first_name": "",
            "last_name": "",
        },
    )
    cast.rep_police.refresh_from_db()
    assert cast.rep_police.email == "t-rep-police@example.invalid"
    assert cast.rep_police.check_password(PASSWORD)


def test_operator_sends_a_reset_link_instead_and_it_is_audited(
    client, operator, cast, django_capture_on_commit_callbacks
):
    verified(client, operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/auth/user/",
            {"action": "send_password_reset", "_selected_action": [cast.rep_police.pk]},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["t-rep-police@example.invalid"]]
    assert "/accounts/reset/" in mail.outbox[0].body
    event = AuditEvent.objects.get(event="account.password_reset_sent")
    assert (event.actor_id, event.data) == (
        operator.pk,
        {"user_id": cast.rep_police.pk, "via": "admin"},
    )


def test_operator_creates_accounts_without_a_password(
    client, operator, django_capture_on_commit_callbacks
):
    verified(client, operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/auth/user/add/",
            {"username": "new-coord", "email": "new-coord@example.invalid"},
        )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="new-coord")
    assert not user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["new-coord@example.invalid"]]


def test_no_impersonation_no_token_for_someone_else_and_no_seat_for_an_operator(
    client, operator, cast
):
    verified(client, operator)
    assert client.get("/admin/knox/authtoken/add/").status_code == 403
    assert not AuthToken.objects.exists()
    # An operator cannot seat themselves, nor anyone as chair/privacy officer/representative.
    base = {"table": cast.table.pk, "agency": cast.police.pk, "is_active": "on"}
    for user, role in (
        (operator, Role.COORDINATOR),
        (UserFactory(username="helper"), Role.CHAIR),
        (UserFactory(username="helper2"), Role.REPRESENTATIVE),
    ):
        response = client.post(
            "/admin/agencies/membership/add/", {**base, "user": user.pk, "role": role}
        )
        assert response.status_code == 200  # the form, with its error
        assert not Membership.objects.filter(user=user).exists()
    # Roles of existing seats do not change here.
    seat = Membership.objects.get(user=cast.rep_police)
    client.post(
        f"/admin/agencies/membership/{seat.pk}/change/",
        {"role": Role.CHAIR, "is_active": "on"},
    )
    seat.refresh_from_db()
    assert seat.role == Role.REPRESENTATIVE
    # Known impersonation add-ons are not installed.
    from django.conf import settings

    assert not {"hijack", "impersonate", "loginas"} & set(settings.INSTALLED_APPS)


def test_operator_seats_a_coordinator_and_it_is_audited(client, operator, cast):
    verified(client, operator)
    newcomer = UserFactory(username="new-coordinator")
    response = client.post(
        "/admin/agencies/membership/add/",
        {
            "user": newcomer.pk,
            "table": cast.table.pk,
            "agency": cast.health.pk,
            "role": Role.COORDINATOR,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    seat = Membership.objects.get(user=newcomer)
    event = AuditEvent.objects.get(event="admin.added", object_type="agencies.membership")
    assert (event.actor_id, event.object_id, event.table_id) == (
        operator.pk,
        str(seat.pk),
        cast.table.pk,
    )


def test_every_admin_change_is_in_the_audit_chain(client, operator, cast):
    verified(client, operator)
    before = AuditEvent.objects.filter(event__startswith="admin.").count()
    response = client.post(
        f"/admin/agencies/agency/{cast.police.pk}/change/",
        {"name": "Test Police Service", "short_name": "TPS", "sector": cast.police.sector_id},
    )
    assert response.status_code == 302
    seat = Membership.objects.get(user=cast.rep_housing)
    client.post(f"/admin/agencies/membership/{seat.pk}/change/", {})  # deactivate
    client.post(
        "/admin/agencies/membership/",
        {"action": "delete_selected", "_selected_action": [seat.pk], "post": "yes"},
    )
    events = list(AuditEvent.objects.filter(event__startswith="admin.").order_by("id")[before:])
    assert [(e.event, e.object_type) for e in events] == [
        ("admin.changed", "agencies.agency"),
        ("admin.changed", "agencies.membership"),
        ("admin.deleted", "agencies.membership"),
    ]
    # The names of the changed fields (as the admin labels them), never their values.
    assert events[0].data == {
        "model": "agencies.agency",
        "fields": ["Name", "Active"],
        "via": "admin",
    }
    # Values never enter the chain; only field names.
    assert "Test Police Service" not in str([e.data for e in events])
    assert LogEntry.objects.count() == 3
    assert verify_chain().ok
