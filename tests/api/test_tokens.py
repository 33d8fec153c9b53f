"""API tokens: created from a browser session (or the command), used, listed, revoked; stored only
as digests; limited per user; requests made with them are rate-limited with a JSON 429."""

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from knox.models import AuthToken

from tests.api.conftest import client_for


def token_client(token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def token(world):
    # A read-write token: a read-only one (the default) could not reveal, which is a POST.
    response = client_for(world.cast.rep_police).post(
        "/api/v1/auth/tokens/", {"scope": "write"}, format="json"
    )
    assert response.status_code == 201
    return response.json()["token"]


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


def test_created_token_authenticates_as_its_user_with_the_same_rights(world, token):
    client = token_client(token)
    table = world.cast.table.pk
    assert client.get(f"/api/v1/tables/{table}/situations/").status_code == 200
    # Same rules as the session: the police rep may not decide at Filter 2.
    response = client.post(
        f"/api/v1/tables/{table}/situations/{world.presented.pk}/reject/",
        {"reason": "Not acutely elevated."},
        format="json",
    )
    assert response.status_code == 403
    # And sees the identifying information its agency entered.
    reveal = client.post(
        f"/api/v1/tables/{table}/situations/{world.intervention.pk}/identifying-info/reveal/"
    )
    assert reveal.status_code == 200


def test_the_database_holds_no_raw_token(world, token):
    stored = AuthToken.objects.get(user=world.cast.rep_police)
    assert stored.digest != token and len(stored.digest) == 128
    assert token.startswith(stored.token_key) and len(stored.token_key) < len(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert rows and not any(token in value for row in rows for value in row)


def test_listing_shows_keys_never_tokens(world, token):
    client = client_for(world.cast.rep_police)
    listed = client.get("/api/v1/auth/tokens/").json()["results"]
    assert [t["token_key"] for t in listed] == [token[:15]]
    assert token not in str(listed)
    # Someone else's list does not show it.
    assert client_for(world.cast.chair).get("/api/v1/auth/tokens/").json()["count"] == 0


def test_revoked_token_no_longer_works(world, token):
    key = token[:15]
    assert client_for(world.cast.chair).delete(f"/api/v1/auth/tokens/{key}/").status_code == 404
    assert token_client(token).get("/api/v1/tables/").status_code == 200
    response = client_for(world.cast.rep_police).delete(f"/api/v1/auth/tokens/{key}/")
    assert response.status_code == 204
    response = token_client(token).get("/api/v1/tables/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_token_cannot_mint_another_token(world, token):
    response = token_client(token).post("/api/v1/auth/tokens/", {}, format="json")
    assert response.status_code == 403
    assert AuthToken.objects.count() == 1


def test_wrong_or_malformed_tokens_are_401(world, token):
    for header in ["Token nope", f"Token {token[:-1]}x", "Token a b", "Token", "Token é"]:
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/tables/").status_code == 401, header


def test_expired_token_is_refused(world, token):
    from datetime import timedelta

    from django.utils import timezone

    AuthToken.objects.update(expiry=timezone.now() - timedelta(minutes=1))
    assert token_client(token).get("/api/v1/tables/").status_code == 401


def test_per_user_limit(world, settings):
    from knox.settings import knox_settings

    client = client_for(world.cast.rep_housing)
    for _i in range(knox_settings.TOKEN_LIMIT_PER_USER):
        assert client.post("/api/v1/auth/tokens/", {}, format="json").status_code == 201
    response = client.post("/api/v1/auth/tokens/", {}, format="json")
    assert response.status_code == 403
    assert "revoke one first" in response.json()["detail"]


def test_expiry_days_is_validated(world):
    client = client_for(world.cast.rep_housing)
    response = client.post("/api/v1/auth/tokens/", {"expiry_days": 10_000}, format="json")
    assert response.status_code == 400
    assert "expiry_days" in response.json()["errors"]


def test_token_requests_are_rate_limited_with_json_429(world, token, settings):
    settings.API_RATE_LIMIT = "3/minute"
    client = token_client(token)
    statuses = [client.get("/api/v1/tables/").status_code for _i in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/tables/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # The browser session of the same person is not limited.
    assert client_for(world.cast.rep_police).get("/api/v1/tables/").status_code == 200


def test_create_api_token_command(world):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token", world.cast.coordinator.username, "--days", "7", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    assert token_client(token).get("/api/v1/tables/").json()["count"] == 1
    assert token not in err.getvalue()
    with pytest.raises(CommandError):
        call_command("create_api_token", "no-such-user", stdout=out, stderr=err)
    with pytest.raises(CommandError):
        call_command("create_api_token", world.cast.coordinator.username, "--days", "0")
