"""Delivery in-process (eager Celery, locmem email): what an email says, what it never says, and
how a failure is retried without losing or doubling anything."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Membership
from cases import services as cases
from notifications import services, tasks
from notifications.models import Kind, Notification, NotificationPreference

from . import builders as b

NOW = b.local(2026, 5, 6, 12, 0)  # a Wednesday


@pytest.fixture
def frozen(time_machine, settings):
    settings.NOTIFICATION_DIGEST_WEEKDAY = 6  # no digest on this Wednesday unless a test asks
    settings.SITE_URL = "https://table.example.ca"
    time_machine.move_to(NOW, tick=False)
    return time_machine


def sweep_and_send(capture):
    with capture(execute=True):
        return services.sweep()


def test_meeting_reminder_states_agenda_size_and_link_and_nothing_identifying(
    named_cast, frozen, django_capture_on_commit_callbacks
):
    cast, seeded_names = named_cast
    s1 = b.situation(cast, stage="presented")
    s2 = b.situation(cast, stage="intervention", lead=cast.police)
    m = b.meeting(cast, NOW + datetime.timedelta(hours=30), agenda=[s1, s2])

    sweep_and_send(django_capture_on_commit_callbacks)

    members = [cast.chair, cast.coordinator, cast.privacy, cast.rep_police, cast.rep_housing]
    members.append(cast.rep_health)
    assert sorted(e.to[0] for e in mail.outbox) == sorted(u.email for u in members)
    message = mail.outbox[0]
    assert message.subject == "[NTT] Meeting Thu 7 May, 18:00: 2 situations on the agenda"
    assert "2 situations are on the agenda (1 returning for report-back, 1 new)" in message.body
    assert f"https://table.example.ca/tables/{cast.table.pk}/meetings/{m.pk}/" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    text = message.subject + message.body
    for secret in (b.NARRATIVE, "stairwell", *seeded_names):
        assert secret not in text
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_overdue_and_escalation_emails_carry_the_number_and_no_task_text(
    cast, frozen, django_capture_on_commit_callbacks
):
    frozen.move_to(NOW - datetime.timedelta(days=5), tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    b.task(cast, s, owner=cast.police, due=(NOW - datetime.timedelta(days=4)).date())
    frozen.move_to(NOW, tick=False)

    sweep_and_send(django_capture_on_commit_callbacks)

    by_subject = {e.subject: e for e in mail.outbox}
    overdue = by_subject[f"[NTT] Overdue task for {s.number}"]
    assert overdue.to == [cast.rep_police.email]
    assert "(4 days overdue)" in overdue.body
    assert f"/tables/{cast.table.pk}/tasks/" in overdue.body
    escalation = by_subject[f"[NTT] Escalation: a task for {s.number} is still overdue"]
    assert escalation.to == [cast.chair.email]
    assert "TPS owns" in escalation.body
    for message in mail.outbox:
        assert b.TASK_DESCRIPTION not in message.body
        assert b.NARRATIVE not in message.body


def test_first_contact_notice_goes_to_the_lead_agency(
    cast, frozen, django_capture_on_commit_callbacks
):
    frozen.move_to(NOW - datetime.timedelta(hours=50), tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.housing)
    frozen.move_to(NOW, tick=False)

    sweep_and_send(django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert message.to == [cast.rep_housing.email]
    assert message.subject == f"[NTT] No first contact recorded for {s.number}"
    assert "within 48 hours; none is recorded yet (50 hours since the acceptance)" in message.body


def test_weekly_digest_lists_situation_numbers_and_the_next_meeting(
    cast, frozen, settings, django_capture_on_commit_callbacks
):
    frozen.move_to(NOW - datetime.timedelta(days=1), tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    b.task(cast, s, owner=cast.police, due=(NOW - datetime.timedelta(days=1)).date())
    b.task(cast, s, owner=cast.police, due=(NOW + datetime.timedelta(days=9)).date())
    b.meeting(cast, NOW + datetime.timedelta(days=6), agenda=[s])
    cases.record_report_back(
        actor=cast.chair, situation=s, note="Door knock done.", first_intervention_at=timezone.now()
    )
    frozen.move_to(NOW, tick=False)
    settings.NOTIFICATION_DIGEST_WEEKDAY = 0

    sweep_and_send(django_capture_on_commit_callbacks)

    digest = next(
        e for e in mail.outbox if e.to == [cast.rep_police.email] and "digest" in e.subject
    )
    assert digest.subject == "[NTT] Your weekly digest: 2 open tasks"
    assert f"  - {s.number}: due Tue 5 May (overdue)" in digest.body
    assert f"  - {s.number}: due Fri 15 May" in digest.body
    assert "Next meeting: Tuesday 12 May 2026, 12:00 EDT, 1 situation on the agenda so far." in (
        digest.body
    )
    assert digest.extra_headers["List-Unsubscribe"] == "<https://table.example.ca/notifications/>"


def test_email_is_written_in_the_language_the_recipient_chose(
    cast, frozen, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=cast.rep_police, language="fr")
    b.meeting(cast, b.local(2026, 5, 7, 10, 0))

    sweep_and_send(django_capture_on_commit_callbacks)

    french = next(e for e in mail.outbox if e.to == [cast.rep_police.email])
    english = next(e for e in mail.outbox if e.to == [cast.rep_housing.email])
    assert "jeudi 7 mai 2026" in french.body
    assert "Thursday 7 May 2026" in english.body


def test_delivering_the_same_notification_twice_sends_one_email(
    cast, frozen, django_capture_on_commit_callbacks
):
    b.meeting(cast, NOW + datetime.timedelta(hours=3))
    services.sweep()  # recorded and enqueued, but the message "never arrives"
    ids = list(Notification.objects.values_list("pk", flat=True))

    first = tasks.send_notifications.apply(args=[ids]).get()
    again = tasks.send_notifications.apply(args=[ids]).get()

    assert first == {"sent": len(ids)}
    assert again == {"skipped": len(ids)}
    assert len(mail.outbox) == len(ids)
    assert sorted(int(e.extra_headers["X-Situation-Table-Notification"]) for e in mail.outbox) == (
        sorted(ids)
    )


def test_smtp_failure_releases_the_claim_so_a_retry_can_send(cast, frozen, settings):
    b.meeting(cast, NOW + datetime.timedelta(hours=3))
    services.sweep()
    notification = Notification.objects.order_by("pk").first()
    settings.EMAIL_BACKEND = "tests.notifications.email_backends.AlwaysFailingBackend"

    with pytest.raises(smtplib.SMTPServerDisconnected):
        services.deliver_notification(notification.pk)

    notification.refresh_from_db()
    assert notification.claimed_at is None
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert notification.last_error == "SMTPServerDisconnected"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.deliver_notification(notification.pk) == "sent"
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 2
    assert len(mail.outbox) == 1


def test_send_task_retries_after_an_smtp_error_and_sends_once(
    cast, frozen, settings, monkeypatch, tmp_path
):
    b.meeting(cast, NOW + datetime.timedelta(hours=3))
    services.sweep()
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    settings.EMAIL_BACKEND = "tests.notifications.email_backends.FailOnceLocmemBackend"
    monkeypatch.setenv("TEST_EMAIL_FAIL_ONCE_MARKER", str(tmp_path / "failed-once"))

    # throw=False: let Celery's eager mode run the retry, as a worker would after the backoff.
    tasks.send_notifications.apply(args=[ids], throw=False).get()

    assert len(mail.outbox) == len(ids)
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=ids[0]).attempts == 2  # failed once, then sent
    assert tasks.send_notifications.acks_late
    assert smtplib.SMTPException in tasks.send_notifications.autoretry_for


@pytest.mark.parametrize("change", ["task_done", "task_moved", "situation_concluded", "left_table"])
def test_notice_that_stopped_being_true_before_sending_is_cancelled(cast, frozen, change):
    frozen.move_to(NOW - datetime.timedelta(days=3), tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    task = b.task(cast, s, owner=cast.police, due=(NOW - datetime.timedelta(days=1)).date())
    frozen.move_to(NOW, tick=False)
    services.sweep()
    notice = Notification.objects.get(kind=Kind.TASK_OVERDUE)

    if change == "task_done":
        cases.complete_task(actor=cast.rep_police, task=task)
    elif change == "task_moved":
        type(task).objects.filter(pk=task.pk).update(due_date=NOW.date())
    elif change == "situation_concluded":
        cases.conclude_situation(
            actor=cast.chair, situation=s, reason="unable_to_locate", open_tasks="keep"
        )
    else:
        Membership.objects.filter(user=cast.rep_police).update(is_active=False)

    assert services.deliver_notification(notice.pk) == "cancelled"
    notice.refresh_from_db()
    assert notice.cancelled_at is not None and notice.sent_at is None
    assert mail.outbox == []


def test_reminder_of_a_meeting_that_moved_is_cancelled(cast, frozen):
    m = b.meeting(cast, NOW + datetime.timedelta(hours=3))
    services.sweep()
    cases.update_meeting(
        actor=cast.coordinator, meeting=m, scheduled_at=NOW + datetime.timedelta(hours=4)
    )
    old = Notification.objects.filter(kind=Kind.MEETING_REMINDER).first()
    assert services.deliver_notification(old.pk) == "cancelled"


def test_opting_out_cancels_a_pending_digest_but_not_deadline_notices(cast, frozen, settings):
    settings.NOTIFICATION_DIGEST_WEEKDAY = 0
    frozen.move_to(NOW - datetime.timedelta(days=3), tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    b.task(cast, s, owner=cast.police, due=(NOW - datetime.timedelta(days=1)).date())
    frozen.move_to(NOW, tick=False)
    services.sweep()

    services.set_preferences(actor=cast.rep_police, digest_opt_out=True)

    mine = Notification.objects.filter(recipient=cast.rep_police)
    assert mine.get(kind=Kind.WEEKLY_DIGEST).cancelled_at is not None
    overdue = mine.get(kind=Kind.TASK_OVERDUE)
    assert overdue.cancelled_at is None
    assert services.deliver_notification(overdue.pk) == "sent"


def test_recipient_without_email_keeps_the_in_app_notification(cast, frozen):
    type(cast.rep_police).objects.filter(pk=cast.rep_police.pk).update(email="")
    b.meeting(cast, NOW + datetime.timedelta(hours=3))
    services.sweep()
    notice = Notification.objects.get(recipient=cast.rep_police)
    assert services.deliver_notification(notice.pk) == "no_email"
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.cancelled_at is None
    assert mail.outbox == []


def test_run_sweep_command_reports_what_it_did(cast, frozen, capsys):
    b.meeting(cast, NOW + datetime.timedelta(hours=3))
    call_command("run_sweep", "--no-enqueue")
    out = capsys.readouterr().out
    assert "Created 6 notification(s) (meeting_reminder: 6); enqueued 0" in out


def test_seed_notifications_shows_demo_notifications_and_is_idempotent(db):
    from agencies.demo import seed_tables_and_people
    from cases.demo import seed_cases
    from notifications.demo import seed_notifications

    seed_tables_and_people()
    seed_cases()
    seed_notifications()
    count = Notification.objects.count()
    seed_notifications()
    assert count > 0
    assert Notification.objects.count() == count
    assert mail.outbox == []  # seeding records; it does not email


# --- The daily retention purge hook -------------------------------------------------------------


def test_daily_retention_task_purges_identifying_info_for_real(cast):
    from cases.models import Status
    from consent import crypto
    from consent.models import IdentifyingInfo
    from tests.cases.factories import bring_to

    rejected = bring_to(Status.REJECTED, cast=cast)
    kept = bring_to(Status.ACCEPTED, cast=cast)
    for situation in (rejected, kept):
        IdentifyingInfo.objects.create(
            situation=situation, ciphertext=crypto.encrypt_json({}), key_id="k", blind_index="b"
        )
    from consent.tasks import run_retention_purge

    assert run_retention_purge.apply().get() == 1
    assert list(IdentifyingInfo.objects.values_list("situation_id", flat=True)) == [kept.pk]


def test_beat_schedules_the_sweep_and_the_daily_purge(settings):
    from situation_table.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["notifications-sweep"]["task"] == tasks.run_sweep.name
    assert schedule["notifications-sweep"]["schedule"] == 300
    from consent.tasks import run_retention_purge

    assert schedule["retention-purge"]["task"] == run_retention_purge.name
    assert run_retention_purge.name in app.tasks
