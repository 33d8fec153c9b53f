"""Fixtures for the notifications tests: eager Celery by default; a real Redis and a real Celery
worker process for the tests that are about delivery."""

import base64
import email
import email.header
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps as global_apps
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("NOTIFICATIONS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")

requires_postgres_and_redis = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "needs PostgreSQL (the worker process shares the test database) and Redis; "
        "run with DATABASE_URL=postgres://... as CI does"
    ),
)


@pytest.fixture(autouse=True)
def eager_celery():
    """Whatever REDIS_URL the test process was started with, tasks run in-process unless a test
    asks for the real worker."""
    from situation_table.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = saved


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests empty every table when they finish, data migrations' rows included;
    put the sectors and the risk taxonomy back for the test that comes next."""
    for module in ("agencies.migrations.0002_seed_sectors", "cases.migrations.0002_seed_taxonomy"):
        importlib.import_module(module).seed(global_apps, None)


# People with names nobody else uses, so that a leak is unmistakable.
SEEDED_NAMES = {
    "t-chair": ("Evangeline", "Thistlewood"),
    "t-coordinator": ("Bartholomew", "Quenneville"),
    "t-privacy": ("Philippa", "Ravensworth"),
    "t-rep-police": ("Octavian", "Featherstone"),
    "t-rep-housing": ("Wilhelmina", "Abernathy"),
    "t-rep-health": ("Leopold", "Kittredge"),
    "t-outsider": ("Seraphina", "Montgomerie"),
}


@pytest.fixture
def named_cast(cast):
    """The cast, with distinctive first and last names; returns (cast, every seeded name)."""
    for user in (
        cast.chair,
        cast.coordinator,
        cast.privacy,
        cast.rep_police,
        cast.rep_housing,
        cast.rep_health,
        cast.outsider,
    ):
        user.first_name, user.last_name = SEEDED_NAMES[user.username]
        user.save(update_fields=["first_name", "last_name"])
    return cast, {name for pair in SEEDED_NAMES.values() for name in pair}


# --- Reading what was sent ------------------------------------------------------------------------


@dataclass
class SentEmail:
    notification_id: int
    to: str
    subject: str
    body: str
    raw: str


def _header(message, name) -> str:
    return str(email.header.make_header(email.header.decode_header(message.get(name, ""))))


def read_email_files(directory: Path) -> list[SentEmail]:
    """The messages Django's file backend wrote (one or more per file, separated by dashes)."""
    sent = []
    for path in sorted(Path(directory).glob("*.log")):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk)
            sent.append(
                SentEmail(
                    notification_id=int(message["X-Situation-Table-Notification"]),
                    to=message["To"],
                    subject=_header(message, "Subject"),
                    body=message.get_payload(decode=True).decode(
                        message.get_content_charset() or "utf-8"
                    ),
                    raw=chunk,
                )
            )
    return sent


def wait_for(condition, *, timeout=30.0, interval=0.05, message="condition"):
    """Poll a condition about another process, with a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


# --- Redis and the worker process -----------------------------------------------------------------


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: start redis-server (CI does).")
    return client


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class WorkerProcess:
    queue: str
    mail_dir: Path
    log_dir: Path
    base_env: dict
    process: subprocess.Popen | None = None
    runs: int = 0
    logs: list[Path] = field(default_factory=list)

    def start(self, **env):
        assert self.process is None, "already running"
        self.runs += 1
        log = self.log_dir / f"worker-{self.runs}.log"
        self.logs.append(log)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "situation_table",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-Q",
            self.queue,
            "-n",
            f"{self.queue}-{self.runs}@%h",
        ]
        with log.open("w") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.base_env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(
            lambda: " ready." in log.read_text() or self.process.poll() is not None,
            timeout=60,
            message="the Celery worker to be ready",
        )
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited at start:\n{log.read_text()[-3000:]}")
        return self

    def stop(self):
        """Warm shutdown: the task in progress finishes, nothing new starts."""
        self._end(signal.SIGTERM)

    def kill(self):
        """As if the machine lost power: no cleanup, no acknowledgement."""
        self._end(signal.SIGKILL)

    def _end(self, sig):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log_text(self) -> str:
        return "\n".join(path.read_text() for path in self.logs if path.exists())


def point_app_at(app, *, broker_url, eager):
    """Switch the test process's Celery app to another broker (or to eager mode). Celery caches
    its producer pool, so drop it, or messages keep going to the previous broker."""
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = eager
    app.close()
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker(settings, tmp_path, redis_client, eager_celery, reference_data):
    """A real worker (its own process) on a real Redis, consuming a queue of its own, on the
    test database; the test process publishes to that queue. Stopped whatever happens."""
    app = eager_celery
    queue = f"notif-test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.NOTIFICATION_QUEUE = queue
    saved = {"broker_url": app.conf.broker_url, "eager": app.conf.task_always_eager}
    point_app_at(app, broker_url=REDIS_URL, eager=False)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DATABASE_URL"}
    }
    env.update(
        DJANGO_ENV="test",
        DATABASE_URL=_test_database_url(),
        DB_CONN_MAX_AGE="0",
        REDIS_URL=REDIS_URL,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        SITE_URL=settings.SITE_URL,
        NOTIFICATION_RETRY_BACKOFF_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    worker = WorkerProcess(queue=queue, mail_dir=mail_dir, log_dir=tmp_path, base_env=env)
    try:
        yield worker
    finally:
        worker.stop()
        # The queue, and the exchange Celery declared under the same name.
        redis_client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        _forget_unacked(redis_client, queue)
        point_app_at(app, **saved)


def _forget_unacked(redis_client, queue):
    # A killed worker's unacknowledged message would otherwise come back to this queue in an
    # hour, long after the test.
    for tag, raw in redis_client.hgetall("unacked").items():
        try:
            routing_key = json.loads(raw)[2]
        except (ValueError, IndexError, TypeError):
            continue
        if routing_key == queue:
            redis_client.hdel("unacked", tag)
            redis_client.zrem("unacked_index", tag)


def queued_messages(redis_client, queue) -> list[dict]:
    """The raw messages waiting in a queue, as the broker holds them (Celery protocol 2)."""
    messages = []
    for raw in redis_client.lrange(queue, 0, -1):
        envelope = json.loads(raw)
        body = base64.b64decode(envelope["body"]).decode()
        messages.append({"raw": raw.decode(), "envelope": envelope, "body": json.loads(body)})
    return messages
