"""Issue 15, part 4: failed sign-ins cannot lock out a whole office, or — behind the proxy — the
whole site. Per username: django-axes pauses that one account. Per address: a growing delay."""

import datetime

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from agencies.signin import client_ip
from tests.conftest import PASSWORD

PROXY = "10.0.0.5"


def attempt(client, username, password="wrong password", ip="192.0.2.10", via_proxy=False):  # noqa: S107
    extra = {"REMOTE_ADDR": ip}
    if via_proxy:
        extra = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ip}
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_failures_with_many_usernames_do_not_lock_out_other_people_from_that_address(client, cast):
    """The red team: five failures with any usernames locked every user of the address."""
    for name in ("a", "b", "c", "d", "e", "f"):
        assert attempt(client, f"nobody-{name}").status_code == 200
    response = attempt(client, "t-chair", PASSWORD)
    assert response.status_code == 302


def test_behind_the_proxy_one_attackers_failures_do_not_lock_the_site(client, cast, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for i in range(30):
        attempt(client, f"sprayed-{i}", ip="198.51.100.7", via_proxy=True)
    # The attacker's own address is slowed down…
    slowed = attempt(client, "t-chair", PASSWORD, ip="198.51.100.7", via_proxy=True)
    assert slowed.status_code == 429
    assert int(slowed["Retry-After"]) > 0
    # …but everybody else behind the same proxy signs in.
    assert (
        attempt(client, "t-chair", PASSWORD, ip="203.0.113.20", via_proxy=True).status_code == 302
    )


def test_per_address_limit_is_a_progressive_delay_not_a_hard_lock(client, cast, settings):
    settings.SIGNIN_IP_FREE_FAILURES = 3
    settings.SIGNIN_IP_MAX_DELAY_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for i in range(3):
            assert attempt(client, f"x{i}").status_code == 200
        # After the free failures, each attempt waits 1 s, then 2 s, 4 s … after the last one.
        assert attempt(client, "x4").status_code == 429
        clock.shift(datetime.timedelta(seconds=1.5))
        assert attempt(client, "x4").status_code == 200
        assert attempt(client, "x5").status_code == 429
        clock.shift(datetime.timedelta(seconds=2.5))
        assert attempt(client, "t-chair", PASSWORD).status_code == 302


def test_the_delay_is_capped(client, cast, settings):
    settings.SIGNIN_IP_FREE_FAILURES = 0
    settings.SIGNIN_IP_MAX_DELAY_SECONDS = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for i in range(20):
            clock.shift(datetime.timedelta(seconds=6))
            attempt(client, f"y{i}")
        clock.shift(datetime.timedelta(seconds=5.5))
        assert attempt(client, "t-chair", PASSWORD).status_code == 302


def test_a_username_is_still_paused_after_repeated_failures(client, cast):
    for _ in range(5):
        attempt(client, "t-chair", ip="192.0.2.30")
    # From anywhere: guessing one account stops.
    response = attempt(client, "t-chair", PASSWORD, ip="203.0.113.99")
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(settings):
    rf = RequestFactory()
    settings.TRUSTED_PROXIES = []
    forged = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert client_ip(forged) == "198.51.100.7"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    chain = rf.get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.1, 192.0.2.1"
    )
    # The right-most address no trusted proxy added is the client; "1.2.3.4" may be forged.
    assert client_ip(chain) == "203.0.113.1"
    junk = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(junk) == "10.0.0.5"
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None


def test_bad_trusted_proxies_setting_refuses_to_start():
    from tests.test_settings import run_manage

    result = run_manage("check", env_overrides={"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"})
    assert result.returncode != 0
    assert "TRUSTED_PROXIES must list IP addresses" in result.stderr


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Sign-in paused"), ("fr", "Connexion suspendue")],
)
def test_lockout_pages_are_bilingual(client, cast, settings, language, text):
    settings.SIGNIN_IP_FREE_FAILURES = 0
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for _ in range(5):
        attempt(client, "t-chair")
    paused = attempt(client, "t-chair")
    assert paused.status_code == 429
    assert text in paused.content.decode()
    delayed = attempt(client, "someone-else")
    assert delayed.status_code == 429
    body = delayed.content.decode()
    assert text in body
    assert ("Wait" if language == "en" else "Attendez") in body
