"""gunicorn's access log without invitation or reset tokens: ``--logger-class
situation_table.gunicorn_logging.RedactingLogger`` (Dockerfile and docker-compose use it)."""

from gunicorn.glogging import Logger

from .redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # Every text atom: the request line, path, query, Referer and the environ/header copies.
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
