"""A real Redis and a real Celery worker process: every due notification is emailed exactly once,
even when the broker loses messages or the worker dies mid-send; task messages carry ids only."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import Situation, Task
from consent.services import record_identifying_info
from notifications import services
from notifications.models import Kind, Notification

from . import builders as b
from .conftest import (
    point_app_at,
    queued_messages,
    read_email_files,
    requires_postgres_and_redis,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT_NAME = ("Marigold", "Pemberton-Vasquez")


@pytest.fixture
def world(named_cast, settings):
    """Due right now: a meeting in 90 minutes (6 members), an overdue task (housing), a late
    first contact (police, the lead), and this week's digests (7 members of two tables)."""
    cast, seeded_names = named_cast
    settings.NOTIFICATION_DIGEST_WEEKDAY = 0
    settings.NOTIFICATION_DIGEST_HOUR = 0
    now = timezone.now()
    presented = b.situation(cast, stage="presented")
    led = b.situation(cast, stage="intervention", lead=cast.police)
    record_identifying_info(
        actor=cast.rep_police,
        situation=led,
        given_name=SUBJECT_NAME[0],
        family_name=SUBJECT_NAME[1],
    )
    b.meeting(cast, now + datetime.timedelta(minutes=90), agenda=[presented, led])
    task = b.task(cast, led, owner=cast.housing, due=timezone.localdate())
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - datetime.timedelta(1))
    Situation.objects.filter(pk=led.pk).update(f2_decided_at=now - datetime.timedelta(hours=50))
    secrets = {*seeded_names, *SUBJECT_NAME, b.NARRATIVE, "stairwell", b.TASK_DESCRIPTION}
    return cast, secrets


EXPECTED = {Kind.MEETING_REMINDER: 6, Kind.TASK_OVERDUE: 1, Kind.FIRST_CONTACT_OVERDUE: 1}
EXPECTED_DIGESTS = 7
EXPECTED_TOTAL = sum(EXPECTED.values()) + EXPECTED_DIGESTS


def all_sent() -> bool:
    return not Notification.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True).exists()


def assert_each_sent_exactly_once(worker, secrets=()):
    emails = read_email_files(worker.mail_dir)
    ids = sorted(Notification.objects.values_list("pk", flat=True))
    assert len(ids) == EXPECTED_TOTAL
    assert sorted(e.notification_id for e in emails) == ids, "lost or duplicated emails"
    addresses = dict(Notification.objects.values_list("pk", "recipient__email"))
    for e in emails:
        assert e.to == addresses[e.notification_id]
        for secret in secrets:
            assert secret not in e.raw, f"{secret!r} leaked into an email"
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0
    return emails


def drain(redis_client, worker):
    """Wait until the worker has taken every message, then stop it (it finishes the task in
    hand): after this, nothing more can be sent."""
    wait_for(lambda: redis_client.llen(worker.queue) == 0, message="the queue to drain")
    worker.stop()


@requires_postgres_and_redis
def test_worker_sends_every_due_notification_exactly_once_and_messages_carry_ids_only(
    world, celery_worker, redis_client
):
    cast, secrets = world
    result = services.sweep()
    assert result.created == {**EXPECTED, Kind.WEEKLY_DIGEST: EXPECTED_DIGESTS}

    # What the broker holds: ids and nothing else.
    messages = queued_messages(redis_client, celery_worker.queue)
    assert messages, "the sweep enqueued nothing"
    queued_ids = []
    for message in messages:
        args, kwargs, _embed = message["body"]
        assert message["envelope"]["headers"]["task"] == "notifications.tasks.send_notifications"
        assert kwargs == {}
        assert all(isinstance(i, int) for i in args[0])
        queued_ids += args[0]
        for secret in secrets:
            assert secret not in message["raw"], f"{secret!r} in a task message"
    assert sorted(queued_ids) == sorted(Notification.objects.values_list("pk", flat=True))

    celery_worker.start()
    wait_for(all_sent, message="every notification to be sent")
    assert services.sweep().enqueued == 0
    # The broker delivers the same messages again (it may, after a visibility timeout).
    services.enqueue_deliveries(queued_ids)
    drain(redis_client, celery_worker)

    emails = assert_each_sent_exactly_once(celery_worker, secrets)
    reminder = next(e for e in emails if "Meeting" in e.subject)
    assert "2 situations are on the agenda" in reminder.body
    assert f"{settings.SITE_URL}/tables/{cast.table.pk}/meetings/" in reminder.body
    assert "Traceback" not in celery_worker.log_text()


@requires_postgres_and_redis
def test_messages_lost_by_redis_are_sent_after_the_next_sweep_exactly_once(
    world, celery_worker, redis_client
):
    _cast, secrets = world
    now = timezone.now()
    services.sweep(now=now)
    assert redis_client.llen(celery_worker.queue) > 0
    redis_client.delete(celery_worker.queue)  # Redis restarted without persistence

    celery_worker.start()
    assert Notification.objects.filter(sent_at__isnull=True).count() == EXPECTED_TOTAL
    # Too early: the messages might still be on their way, so the sweep leaves them alone.
    assert services.sweep(now=now + datetime.timedelta(minutes=5)).enqueued == 0
    lease = datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
    assert services.sweep(now=now + lease + datetime.timedelta(seconds=1)).enqueued == (
        EXPECTED_TOTAL
    )
    wait_for(all_sent, message="every notification to be sent")
    drain(redis_client, celery_worker)

    assert_each_sent_exactly_once(celery_worker, secrets)


@requires_postgres_and_redis
def test_worker_killed_mid_send_loses_and_duplicates_nothing(
    world, celery_worker, redis_client, settings, tmp_path
):
    settings.NOTIFICATION_BATCH_SIZE = 2
    hang_marker = tmp_path / "worker-is-stuck"
    now = timezone.now()
    services.sweep(now=now)
    batches = queued_messages(redis_client, celery_worker.queue)
    assert len(batches) == (EXPECTED_TOTAL + 1) // 2
    first_batch = batches[-1]["body"][0][0]  # LPUSH: the oldest message is the last

    celery_worker.start(
        EMAIL_BACKEND="tests.notifications.email_backends.HangingFileBackend",
        TEST_EMAIL_HANG_AT="2",
        TEST_EMAIL_HANG_MARKER=str(hang_marker),
    )
    wait_for(hang_marker.exists, message="the worker to hang on its second email")
    celery_worker.kill()

    hung = Notification.objects.get(sent_at__isnull=True, claimed_at__isnull=False)
    assert hung.pk == first_batch[1]
    assert Notification.objects.filter(sent_at__isnull=False).count() == 1

    celery_worker.start()  # a healthy worker takes the rest of the queue
    wait_for(
        lambda: Notification.objects.filter(sent_at__isnull=True).count() == 1,
        message="all but the hung notification to be sent",
    )
    # The dead worker's claim expires; the sweep releases it and enqueues it again.
    lease = datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
    result = services.sweep(now=timezone.now() + lease + datetime.timedelta(seconds=1))
    assert (result.released, result.enqueued) == (1, 1)
    wait_for(all_sent, message="the hung notification to be sent")
    # Much later Redis redelivers the dead worker's unacknowledged message: nothing happens.
    services.enqueue_deliveries(first_batch)
    drain(redis_client, celery_worker)

    assert_each_sent_exactly_once(celery_worker)
    hung.refresh_from_db()
    assert hung.attempts == 2 and hung.last_error == ""


@requires_postgres_and_redis
def test_smtp_error_is_retried_by_the_worker_with_backoff_and_sent_once(
    world, celery_worker, redis_client, tmp_path
):
    services.sweep()
    celery_worker.start(
        EMAIL_BACKEND="tests.notifications.email_backends.FailOnceFileBackend",
        TEST_EMAIL_FAIL_ONCE_MARKER=str(tmp_path / "smtp-failed-once"),
    )
    wait_for(all_sent, message="every notification to be sent despite the SMTP error")
    drain(redis_client, celery_worker)

    assert_each_sent_exactly_once(celery_worker)
    assert Notification.objects.filter(attempts=2).count() == 1
    log = celery_worker.log_text()
    assert "Retry in" in log and "SMTPServerDisconnected" in log


def test_unreachable_broker_leaves_notifications_for_the_next_sweep(
    cast, eager_celery, settings, reference_data
):
    app = eager_celery
    saved = app.conf.broker_url
    b.meeting(cast, timezone.now() + datetime.timedelta(hours=3))
    try:
        point_app_at(app, broker_url="redis://127.0.0.1:1/0", eager=False)  # nothing listens
        result = services.sweep()
    finally:
        point_app_at(app, broker_url=saved, eager=True)
    total = Notification.objects.count()
    assert result.enqueued == total >= 6
    # Not "on its way": the next sweep (broker back) enqueues them at once, no lease to wait.
    assert Notification.objects.filter(enqueued_at__isnull=True).count() == total
    assert services.sweep().enqueued == total
