"""Issue 15, part 7: a deployment that forgets DJANGO_ENV is not wide open; compose publishes no
port on the host; every cookie is Secure in production."""

import os
import subprocess
import sys

import yaml

from tests.test_settings import PRODUCTION_ENV, ROOT

SECRET_ENV = ("DJANGO_ENV", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")


def run(args, **overrides):
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_runserver_with_development_defaults_refuses_a_public_address():
    for address in ("0.0.0.0:8799", "0:8799", "192.0.2.10:8799", "[::]:8799"):
        result = run(["manage.py", "runserver", address, "--noreload", "--skip-checks"])
        assert result.returncode != 0, address
        assert "Refusing to serve on" in result.stderr, result.stderr


def test_runserver_with_development_defaults_is_allowed_on_loopback():
    # Started for real it would serve and block; the address rule itself is what matters.
    from situation_table.management.commands.runserver import is_loopback

    assert all(is_loopback(a) for a in ("127.0.0.1", "::1", "localhost", "127.0.0.2"))
    assert not any(is_loopback(a) for a in ("0.0.0.0", "0", "::", "192.0.2.10", "example.ca"))  # noqa: S104


def test_wsgi_server_refuses_to_start_without_django_env_or_secret_key():
    result = run(["-c", "import situation_table.wsgi"])
    assert result.returncode != 0
    assert "DJANGO_ENV is not set and no SECRET_KEY is given" in result.stderr
    asgi = run(["-c", "import situation_table.asgi"])
    assert asgi.returncode != 0
    # Chosen on purpose, or with real secrets, it starts.
    assert run(["-c", "import situation_table.wsgi"], DJANGO_ENV="development").returncode == 0
    production = run(["-c", "import situation_table.wsgi"], **PRODUCTION_ENV)
    assert production.returncode == 0, production.stderr


def test_debug_is_off_when_a_secret_is_given_without_django_env():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG)"
    env = {"DJANGO_SETTINGS_MODULE": "situation_table.settings"}
    assert run(["-c", code], **env).stdout.strip() == "True"  # bare `make run`
    with_secret = run(["-c", code], SECRET_KEY="a-real-secret-" + "x" * 40, **env)
    assert with_secret.stdout.strip() == "False"


def test_compose_publishes_no_port_and_keeps_the_database_off_the_proxy_network():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert all("ports" not in service for service in services.values())
    assert services["web"]["expose"] == ["8000"]
    assert "proxy" in services["web"]["networks"]
    for name in ("postgres", "redis", "worker", "beat"):
        assert "proxy" not in services[name]["networks"], name


def test_every_cookie_is_secure_in_production():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE)"
    )
    result = run(["-c", code], DJANGO_SETTINGS_MODULE="situation_table.settings", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


def test_the_language_cookie_is_set_secure_when_the_settings_say_so(client, settings, db):
    settings.LANGUAGE_COOKIE_SECURE = True
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and cookie["secure"] and cookie["httponly"]
