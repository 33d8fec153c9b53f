"""Secrets that travel in links (invitation and password-reset tokens) never reach a log line.

Used by the logging filter below (every handler of the site's logging, so Django's request and
runserver logs too) and by the gunicorn access logger (``situation_table.gunicorn_logging``).
"""

import logging
import re

REDACTED = "[redacted]"

_PATTERNS = [
    # /invitations/<token>/ — but not /invitations/accept/
    (re.compile(r"(/invitations/)(?!accept/)[^/\s?#\"']+"), r"\1" + REDACTED),
    # /accounts/reset/<uidb64>/<token>/ — Django's own "set-password" placeholder stays
    (
        re.compile(r"(/accounts/reset/[^/\s?#\"']+/)(?!set-password/)[^/\s?#\"']+"),
        r"\1" + REDACTED,
    ),
    # token=… in a query string (after ?, & or at its start)
    (
        re.compile(r"((?:^|[?&\s])(?:token|key)=)[^&\s#\"']+", re.IGNORECASE),
        r"\1" + REDACTED,
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message without tokens (request lines, "Not Found: /…" warnings)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
