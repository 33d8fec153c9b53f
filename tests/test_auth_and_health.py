import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from agencies.models import Agency, Membership, Table


def test_healthz_reports_database_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["status"] == "ok"
    assert body["broker"] in {"ok", "eager"}


def test_healthz_checks_a_real_redis_when_configured(client, db, settings):
    # Only a PING; the database number is configurable so parallel runs keep to their own.
    settings.REDIS_URL = os.environ.get("HEALTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    assert client.get("/healthz").json()["broker"] == "ok"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 200  # the database is what decides liveness
    assert response.json()["broker"] == "down"


def test_wrong_password_shows_form_error_not_500(client, cast):
    response = client.post(reverse("login"), {"username": "t-chair", "password": "wrong password"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_login_and_logout(client, cast):
    response = client.post(
        reverse("login"), {"username": "t-chair", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_password_change_requires_current_password(client, cast):
    client.force_login(cast.chair)
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "a-new-long-pass-9", "new_password2": "x"},
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content


def test_language_switcher_serves_french(client, cast):
    client.force_login(cast.chair)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    body = client.get(reverse("home")).content.decode()
    assert "Mes tables" in body
    assert 'lang="fr"' in body


def test_seed_demo_twice_creates_no_duplicates(db):
    call_command("seed_demo", "--quiet-logins")
    counts = (
        Table.objects.count(),
        Agency.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
    )
    call_command("seed_demo", "--quiet-logins")
    assert counts == (
        Table.objects.count(),
        Agency.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
    )
    assert Table.objects.filter(name="Northside Situation Table").count() == 1
    assert Agency.objects.filter(tables__code="NST").count() >= 8
    assert Membership.objects.get(user__username="rep-police").agency.sector.code == "police"
    assert Membership.objects.get(user__username="chair").role == "chair"
    assert (
        get_user_model().objects.get(username="rep-housing").check_password("situation-table-demo")
    )


@pytest.mark.parametrize("username", ["lakeview-chair", "lakeview-rep"])
def test_demo_second_table_is_isolated(client, db, username):
    call_command("seed_demo", "--quiet-logins")
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    northside = Table.objects.get(code="NST")
    assert client.get(reverse("table-members", args=[northside.pk])).status_code == 404
