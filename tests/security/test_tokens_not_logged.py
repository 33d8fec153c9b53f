"""Issue 15, part 3: invitation and password-reset tokens never appear in logs (Django's request
log, runserver's request lines, gunicorn's access log)."""

import io
import logging
from types import SimpleNamespace

from django.urls import reverse
from gunicorn.config import Config

from agencies import services
from situation_table.gunicorn_logging import RedactingLogger
from situation_table.redaction import RedactSecretsFilter, redact

TOKEN = "Zq3kT9sN2vX8pL4mR7wY1cB6dF0gH5jK"


def test_redact_removes_invitation_and_reset_tokens_and_keeps_the_rest():
    assert redact(f"GET /invitations/{TOKEN}/ HTTP/1.1") == "GET /invitations/[redacted]/ HTTP/1.1"
    assert redact("GET /invitations/accept/ HTTP/1.1") == "GET /invitations/accept/ HTTP/1.1"
    assert redact(f"/accounts/reset/MTI/{TOKEN}/") == "/accounts/reset/MTI/[redacted]/"
    assert redact("/accounts/reset/MTI/set-password/") == "/accounts/reset/MTI/set-password/"
    assert redact(f"/x/?a=1&token={TOKEN}&b=2") == "/x/?a=1&token=[redacted]&b=2"
    assert redact("/tables/3/situations/12/") == "/tables/3/situations/12/"


def _configured_filters():
    for handler in logging.getLogger().handlers:
        filters = [f for f in handler.filters if isinstance(f, RedactSecretsFilter)]
        if filters:
            return filters
    raise AssertionError("the site's console handler has no redaction filter")


def test_django_request_log_never_shows_an_invitation_token(client, cast):
    issued = services.invite_member(
        actor=cast.coordinator,
        table=cast.table,
        agency=cast.housing,
        role="representative",
        email="n@example.invalid",
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for f in _configured_filters():
        handler.addFilter(f)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        # An unknown (e.g. mistyped or used) link logs "Not Found: <path>" at WARNING.
        client.get(reverse("invitation-open", args=[TOKEN]))
        client.get(reverse("invitation-open", args=[issued.token]))
        client.get(f"/accounts/reset/MTI/{TOKEN}/")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "/invitations/[redacted]/" in text
    assert TOKEN not in text and issued.token not in text


def test_runserver_request_lines_are_redacted():
    from django.conf import settings

    handler = settings.LOGGING["handlers"]["django.server"]
    assert "redact_secrets" in handler["filters"]
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /invitations/{TOKEN}/ HTTP/1.1", 302, 0),
        None,
    )
    RedactSecretsFilter().filter(record)
    assert TOKEN not in record.getMessage()


def test_gunicorn_access_log_is_redacted():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/invitations/{TOKEN}/",
        "PATH_INFO": f"/invitations/{TOKEN}/",
        "QUERY_STRING": f"token={TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://table.example.ca/accounts/reset/MTI/{TOKEN}/",
        "REMOTE_ADDR": "192.0.2.1",
    }
    req = SimpleNamespace(
        headers=[],
        method="GET",
        path=environ["PATH_INFO"],
        query=environ["QUERY_STRING"],
        uri=environ["RAW_URI"],
        version=(1, 1),
    )
    resp = SimpleNamespace(status="302 Found", response_length=0, sent=0, headers=[])
    atoms = logger.atoms(resp, req, environ, SimpleNamespace(seconds=0, microseconds=1))
    line = logger.cfg.access_log_format % atoms
    assert TOKEN not in str(atoms)
    assert "/invitations/[redacted]/" in line
