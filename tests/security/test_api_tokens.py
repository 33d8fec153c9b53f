"""Issue 15, part 2: API tokens get no more than the person's current seat allows, and stop when
what they were trusted for changes.

The red team's path: a token made while the user was a representative kept working with chair
powers after promotion (accepted a situation, recorded a disclosure) without a second factor.
"""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from agencies import services
from agencies.models import ApiTokenPolicy, Membership, Role
from cases.models import Situation, Status
from core.models import AuditEvent
from tests.cases.factories import bring_to
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


def session(user):
    client = APIClient()
    client.force_login(user)
    return client


def make_token(user, scope="write", client=None):
    response = (client or session(user)).post(
        "/api/v1/auth/tokens/", {"scope": scope}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def situations_url(cast):
    return f"/api/v1/tables/{cast.table.pk}/situations/"


def test_promotion_revokes_the_token_so_it_never_gets_chair_powers(cast, settings):
    settings.OTP_ENFORCED = True
    presented = bring_to(Status.PRESENTED, cast=cast)
    token = make_token(cast.rep_housing)
    assert with_token(token).get(situations_url(cast)).status_code == 200
    seat = Membership.objects.get(user=cast.rep_housing)
    seat.role = Role.CHAIR
    seat.save()
    response = with_token(token).post(
        f"{situations_url(cast)}{presented.pk}/accept/",
        {
            "aer_significant_interest": True,
            "aer_probability_of_harm": True,
            "aer_severity_of_harm": True,
            "aer_multi_sector": True,
        },
        format="json",
    )
    assert response.status_code == 401
    assert Situation.objects.get(pk=presented.pk).status == Status.PRESENTED
    assert not AuthToken.objects.filter(user=cast.rep_housing).exists()
    assert AuditEvent.objects.filter(
        event="api_token.revoked_all", data__reason="role_changed"
    ).exists()


def test_token_made_without_second_factor_is_refused_once_the_role_needs_one(cast, settings):
    """Even if a token survived (made before enforcement, or by the operator's command)."""
    settings.OTP_ENFORCED = True
    token = make_token(cast.rep_housing)
    # The role changes without going through save() (e.g. a bulk update): nothing revoked it.
    Membership.objects.filter(user=cast.rep_housing).update(role=Role.CHAIR)
    response = with_token(token).get(situations_url(cast))
    assert response.status_code == 401
    assert "two-factor" in response.json()["detail"]


def test_a_privileged_role_creates_tokens_only_after_the_second_factor(client, cast, settings):
    settings.OTP_ENFORCED = True
    device = TOTPDevice.objects.create(user=cast.chair, name="authenticator", confirmed=True)
    assert (
        client.post(
            reverse("login"), {"username": cast.chair.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    refused = client.post("/api/v1/auth/tokens/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert not AuthToken.objects.exists()
    code = f"{totp(device.bin_key):06d}"
    assert client.post(reverse("otp-verify"), {"token": code}).status_code == 302
    made = client.post("/api/v1/auth/tokens/", {"scope": "write"}, content_type="application/json")
    assert made.status_code == 201
    assert ApiTokenPolicy.objects.get().second_factor is True
    assert with_token(made.json()["token"]).get(situations_url(cast)).status_code == 200


def test_read_only_token_cannot_change_or_reveal_anything(cast):
    accepted = bring_to(Status.ACCEPTED, cast=cast)
    token = make_token(cast.rep_police, scope="read")
    client = with_token(token)
    assert client.get(situations_url(cast)).status_code == 200
    reveal = client.post(f"{situations_url(cast)}{accepted.pk}/identifying-info/reveal/")
    assert reveal.status_code == 403
    assert reveal.json()["code"] == "read_only_token"
    created = client.post(
        situations_url(cast),
        {"subject_type": "individual", "age_group": "18-24", "gender": "male"},
        format="json",
    )
    assert created.status_code == 403
    # The default scope is read-only.
    assert (
        session(cast.rep_housing).post("/api/v1/auth/tokens/", {}, format="json").json()["scope"]
        == "read"
    )


def test_every_use_of_a_write_token_is_audited(cast):
    draft = bring_to(Status.DRAFT, cast=cast)
    token = make_token(cast.rep_police, scope="write")
    client = with_token(token)
    client.get(situations_url(cast))
    response = client.patch(
        f"{situations_url(cast)}{draft.pk}/", {"gender": "female"}, format="json"
    )
    assert response.status_code == 200
    refused = client.post(f"{situations_url(cast)}{draft.pk}/accept/", {}, format="json")
    assert refused.status_code in (400, 403, 409)
    uses = AuditEvent.objects.filter(event="api_token.write_used").order_by("id")
    assert [(e.data["method"], e.data["path"]) for e in uses] == [
        ("PATCH", f"{situations_url(cast)}{draft.pk}/"),
        ("POST", f"{situations_url(cast)}{draft.pk}/accept/"),
    ]
    assert {e.actor_id for e in uses} == {cast.rep_police.pk}
    assert all(e.data["token_key"] == token[:15] for e in uses)


def test_password_change_revokes_every_token(cast):
    token = make_token(cast.rep_police)
    cast.rep_police.set_password("a-brand-new-passphrase-2026")
    cast.rep_police.save()
    assert with_token(token).get("/api/v1/tables/").status_code == 401
    assert AuditEvent.objects.filter(
        event="api_token.revoked_all", data__reason="password_changed"
    ).exists()


def test_password_change_page_revokes_every_token(client, cast):
    token = make_token(cast.rep_police)
    client.force_login(cast.rep_police)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-2026",
            "new_password2": "a-brand-new-passphrase-2026",
        },
    )
    assert response.status_code == 302
    assert with_token(token).get("/api/v1/tables/").status_code == 401


def test_deactivation_and_removal_from_the_table_revoke_tokens(cast):
    token = make_token(cast.rep_police)
    services.deactivate_membership(
        actor=cast.coordinator, membership=Membership.objects.get(user=cast.rep_police)
    )
    assert with_token(token).get("/api/v1/tables/").status_code == 401
    token = make_token(cast.rep_housing)
    cast.rep_housing.is_active = False
    cast.rep_housing.save()
    assert with_token(token).get("/api/v1/tables/").status_code == 401
    assert not AuthToken.objects.exists()


def test_an_idle_token_expires(cast, settings):
    settings.API_TOKEN_IDLE_DAYS = 14
    token = make_token(cast.rep_police)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=10)):
        assert with_token(token).get("/api/v1/tables/").status_code == 200  # restarts the count
    with time_machine.travel(timezone.now() + datetime.timedelta(days=23)):
        assert with_token(token).get("/api/v1/tables/").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=38)):
        response = with_token(token).get("/api/v1/tables/")
    assert response.status_code == 401
    assert "not used for 14 days" in response.json()["detail"]
    assert not AuthToken.objects.exists()


def test_the_coordinator_lists_and_revokes_members_tokens(cast):
    token = make_token(cast.rep_police)
    make_token(cast.outsider)  # another table's member: not listed
    coordinator = session(cast.coordinator)
    url = f"/api/v1/tables/{cast.table.pk}/tokens/"
    listed = coordinator.get(url).json()["results"]
    assert [(t["username"], t["token_key"], t["scope"]) for t in listed] == [
        ("t-rep-police", token[:15], "write")
    ]
    assert token not in str(listed)
    # Only the coordinator; another table's token is not found here.
    assert session(cast.rep_housing).get(url).status_code == 403
    outsider_key = AuthToken.objects.get(user=cast.outsider).token_key
    assert coordinator.delete(f"{url}{outsider_key}/").status_code == 404
    assert coordinator.delete(f"{url}not-hex/").status_code == 404
    assert coordinator.delete(f"{url}{token[:15]}/").status_code == 204
    assert with_token(token).get("/api/v1/tables/").status_code == 401
    event = AuditEvent.objects.get(event="api_token.revoked")
    assert (event.actor_id, event.data["user_id"]) == (cast.coordinator.pk, cast.rep_police.pk)


def test_the_user_lists_scope_and_last_use_of_their_tokens(cast):
    make_token(cast.rep_police, scope="read")
    listed = session(cast.rep_police).get("/api/v1/auth/tokens/").json()["results"]
    assert listed[0]["scope"] == "read" and listed[0]["last_used_at"]


def test_the_user_sees_and_revokes_their_tokens_on_the_account_page(client, cast):
    token = make_token(cast.rep_police, scope="read")
    make_token(cast.rep_housing)
    client.force_login(cast.rep_police)
    page = client.get(reverse("otp-manage")).content.decode()
    assert token[:15] in page and token not in page
    assert AuthToken.objects.get(user=cast.rep_housing).token_key not in page
    other = AuthToken.objects.get(user=cast.rep_housing).token_key
    assert client.post(reverse("api-token-revoke", args=[other])).status_code == 404
    assert client.post(reverse("api-token-revoke", args=["zz"])).status_code == 404
    response = client.post(reverse("api-token-revoke", args=[token[:15]]))
    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=cast.rep_police).exists()
    assert AuthToken.objects.filter(user=cast.rep_housing).exists()


def test_the_coordinator_sees_and_revokes_members_tokens_on_the_members_page(client, cast):
    token = make_token(cast.rep_police)
    outsider = make_token(cast.outsider)
    members = reverse("table-members", args=[cast.table.pk])
    client.force_login(cast.chair)
    assert token[:15] not in client.get(members).content.decode()  # not a coordinator
    assert (
        client.post(reverse("member-token-revoke", args=[cast.table.pk, token[:15]])).status_code
        == 403
    )
    client.force_login(cast.coordinator)
    page = client.get(members).content.decode()
    assert token[:15] in page and outsider[:15] not in page
    url = reverse("member-token-revoke", args=[cast.table.pk, outsider[:15]])
    assert client.post(url).status_code == 404
    url = reverse("member-token-revoke", args=[cast.table.pk, token[:15]])
    assert client.post(url).status_code == 302
    assert not AuthToken.objects.filter(user=cast.rep_police).exists()
