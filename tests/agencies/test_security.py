"""Sign-in lockout, idle sessions, password hashing and the Content-Security-Policy."""

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import time_machine
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.test_settings import ROOT


def attempt(client, username, password="wrong password"):  # noqa: S107
    return client.post(reverse("login"), {"username": username, "password": password})


# --- Lockout (django-axes) -----------------------------------------------------------------------


def test_lockout_after_the_failure_limit_with_a_clear_page(client, cast, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = attempt(client, "t-chair")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    response = attempt(client, "t-chair")
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content
    assert b"15 minutes" in response.content
    # Even the right password is refused until the pause is over.
    locked = attempt(client, "t-chair", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert attempt(client, "t-chair", PASSWORD).status_code == 302


def test_the_limit_is_a_setting(client, cast, settings):
    settings.AXES_FAILURE_LIMIT = 2
    attempt(client, "t-coordinator")
    assert attempt(client, "t-coordinator").status_code == 429


def test_a_successful_sign_in_clears_the_count(client, cast):
    for _ in range(4):
        attempt(client, "t-chair")
    assert attempt(client, "t-chair", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "t-chair").status_code == 200


# --- Idle sessions -------------------------------------------------------------------------------


def test_an_idle_session_expires(client, cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(cast.rep_police)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        page = client.get(response.url)
        assert b"signed out after 30 minutes without activity" in page.content
        assert "_auth_user_id" not in client.session


def test_activity_keeps_the_session_alive(client, cast):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(cast.rep_police)
        for _ in range(4):
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200


def test_the_idle_timeout_is_a_setting(client, cast, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(cast.rep_police)
        traveller.shift(datetime.timedelta(minutes=6))
        assert client.get(reverse("home")).status_code == 302


def test_an_idle_htmx_request_is_sent_to_sign_in(client, cast):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(cast.chair)
        traveller.shift(datetime.timedelta(hours=1))
        response = client.get(
            reverse("situation-list", args=[cast.table.pk]), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse("login")


# --- Password hashing ----------------------------------------------------------------------------


def test_argon2_hashes_new_passwords_outside_the_test_settings():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(*[h.rsplit('.', 1)[1] for h in s.PASSWORD_HASHERS])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "situation_table.settings"}
    env["DJANGO_ENV"] = "development"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    hashers = result.stdout.split()
    assert hashers[0] == "Argon2PasswordHasher"
    assert "PBKDF2PasswordHasher" in hashers


def test_an_old_pbkdf2_hash_still_signs_in_and_is_upgraded_to_argon2(client, cast, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = cast.rep_police
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert attempt(client, user.username, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2")


# --- Content-Security-Policy ---------------------------------------------------------------------


def test_pages_carry_a_strict_script_policy(client, cast):
    client.force_login(cast.rep_police)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["default-src"]


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_has_an_inline_script_or_event_handler():
    """script-src 'self' would block them in the browser; catch them here instead."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if "_pdf" in path.name:  # rendered to PDF by WeasyPrint, never served as a page
            continue
        for pattern in (inline_script, handler):
            if pattern.search(text):
                offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
