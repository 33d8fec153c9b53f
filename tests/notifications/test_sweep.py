"""The sweep: at a frozen moment it selects exactly what is due, for exactly the right people."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agencies.models import Membership, Role
from cases import services as cases
from notifications import services
from notifications.models import Kind, Notification, NotificationPreference
from tests.factories import MembershipFactory, UserFactory

from . import builders as b

SWEEP = b.local(2026, 5, 6, 12, 0)  # a Wednesday
T0 = SWEEP - datetime.timedelta(days=3)


def triples(qs=None):
    qs = qs if qs is not None else Notification.objects.all()
    return set(qs.values_list("kind", "object_id", "recipient__username"))


def health_members():
    return {"t-chair", "t-coordinator", "t-privacy", "t-rep-health"}


TABLE_MEMBERS = {"t-chair", "t-coordinator", "t-privacy", "t-rep-police", "t-rep-housing"} | {
    "t-rep-health"
}


@pytest.fixture
def no_digest(settings):
    # Sunday: the weekly digest is not due on the Wednesday these tests sweep.
    settings.NOTIFICATION_DIGEST_WEEKDAY = 6


def test_sweep_selects_exactly_the_due_items_at_a_frozen_time(cast, time_machine, no_digest):
    time_machine.move_to(T0, tick=False)
    former = MembershipFactory(
        user=UserFactory(username="t-former"), table=cast.table, agency=cast.police
    )
    Membership.objects.filter(pk=former.pk).update(is_active=False)

    # Meetings around the sweep time.
    in_47h = b.meeting(cast, SWEEP + datetime.timedelta(hours=47))
    in_90min = b.meeting(cast, SWEEP + datetime.timedelta(minutes=90))
    b.meeting(cast, SWEEP + datetime.timedelta(hours=49))  # too far ahead
    b.meeting(cast, SWEEP - datetime.timedelta(hours=1))  # already past
    closed = b.meeting(cast, SWEEP + datetime.timedelta(hours=1))
    cases.close_meeting(actor=cast.coordinator, meeting=closed)
    elsewhere = b.meeting(cast, SWEEP + datetime.timedelta(hours=10), table=cast.other_table)

    # Situations: first contact is due 48 h after the F2 acceptance.
    no_lead = b.situation(cast, stage="accepted")
    led = b.situation(cast, stage="intervention", lead=cast.police)
    contacted = b.situation(cast, stage="intervention", lead=cast.housing)
    cases.record_report_back(
        actor=cast.chair, situation=contacted, note="Door knock done.", first_intervention_at=T0
    )
    concluded = b.situation(cast, stage="intervention", lead=cast.police)

    # Tasks (created on T0, so every due date is still in the future then).
    sweep_day = SWEEP.date()
    tomorrow = b.task(cast, led, owner=cast.housing, due=sweep_day + datetime.timedelta(days=1))
    yesterday = b.task(cast, led, owner=cast.police, due=sweep_day - datetime.timedelta(days=1))
    three_days = b.task(cast, led, owner=cast.health, due=T0.date())
    done = b.task(cast, led, owner=cast.police, due=T0.date())
    cases.complete_task(actor=cast.rep_police, task=done)
    b.task(cast, led, owner=cast.police, due=sweep_day + datetime.timedelta(days=5))
    b.task(cast, concluded, owner=cast.police, due=T0.date())
    cases.conclude_situation(
        actor=cast.chair, situation=concluded, reason="unable_to_locate", open_tasks="keep"
    )

    time_machine.move_to(SWEEP - datetime.timedelta(hours=47), tick=False)
    b.situation(cast, stage="accepted")  # accepted 47 h before the sweep: not late yet

    time_machine.move_to(SWEEP, tick=False)
    result = services.sweep()

    expected = {
        *((Kind.MEETING_REMINDER, in_47h.pk, user) for user in TABLE_MEMBERS),
        *((Kind.MEETING_REMINDER, in_90min.pk, user) for user in TABLE_MEMBERS),
        (Kind.MEETING_REMINDER, elsewhere.pk, "t-outsider"),
        (Kind.FIRST_CONTACT_OVERDUE, no_lead.pk, "t-chair"),
        (Kind.FIRST_CONTACT_OVERDUE, led.pk, "t-rep-police"),
        (Kind.TASK_DUE_TOMORROW, tomorrow.pk, "t-rep-housing"),
        (Kind.TASK_OVERDUE, yesterday.pk, "t-rep-police"),
        *((Kind.TASK_OVERDUE, three_days.pk, user) for user in health_members()),
        (Kind.TASK_ESCALATION, three_days.pk, "t-chair"),
    }
    assert triples() == expected
    assert result.created_total == len(expected)
    assert result.enqueued == len(expected)

    slots = dict(
        Notification.objects.filter(kind=Kind.MEETING_REMINDER).values_list("object_id", "slot")
    )
    assert slots[in_47h.pk].startswith("48h@")
    assert slots[in_90min.pk].startswith("2h@")  # the nearest offset only, never a late "48 h"
    overdue = Notification.objects.get(kind=Kind.TASK_OVERDUE, recipient__username="t-rep-police")
    assert overdue.slot == yesterday.due_date.isoformat()
    assert overdue.data == {
        "situation_id": led.pk,
        "number": led.number,
        "due": yesterday.due_date.isoformat(),
        "agency": "TPS",
    }


def test_second_sweep_creates_and_enqueues_nothing(cast, time_machine, no_digest):
    time_machine.move_to(T0, tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    b.task(cast, s, owner=cast.police, due=T0.date())
    b.meeting(cast, SWEEP + datetime.timedelta(hours=5))
    time_machine.move_to(SWEEP, tick=False)
    first = services.sweep()
    assert first.created_total > 0

    time_machine.move_to(SWEEP + datetime.timedelta(minutes=5), tick=False)
    second = services.sweep()
    assert second.created == {}
    assert second.enqueued == 0  # still on their way: the lease has not expired
    assert Notification.objects.count() == first.created_total


def test_meeting_reminded_at_48h_is_reminded_again_at_2h_and_after_rescheduling(
    cast, time_machine, no_digest
):
    time_machine.move_to(T0, tick=False)
    m = b.meeting(cast, T0 + datetime.timedelta(hours=30))
    services.sweep()
    time_machine.move_to(T0 + datetime.timedelta(hours=29), tick=False)
    services.sweep()
    cases.update_meeting(
        actor=cast.coordinator,
        meeting=m,
        scheduled_at=T0 + datetime.timedelta(hours=30, minutes=30),
    )
    services.sweep()
    slots = sorted(
        Notification.objects.filter(kind=Kind.MEETING_REMINDER, recipient=cast.chair).values_list(
            "slot", flat=True
        )
    )
    assert [slot.split("@")[0] for slot in slots] == ["2h", "2h", "48h"]
    assert len(set(slots)) == 3


def test_escalation_reaches_the_chair_only_after_the_grace_period(
    cast, time_machine, settings, no_digest
):
    settings.NOTIFICATION_ESCALATION_GRACE_DAYS = 2
    time_machine.move_to(T0, tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    overdue = b.task(cast, s, owner=cast.police, due=T0.date())

    task_notices = Notification.objects.filter(kind__startswith="task_")
    time_machine.move_to(T0 + datetime.timedelta(days=2), tick=False)  # 2 days late
    services.sweep()
    assert triples(task_notices) == {(Kind.TASK_OVERDUE, overdue.pk, "t-rep-police")}

    time_machine.move_to(T0 + datetime.timedelta(days=3), tick=False)  # 3 days late
    services.sweep()
    assert triples(task_notices) == {
        (Kind.TASK_OVERDUE, overdue.pk, "t-rep-police"),
        (Kind.TASK_ESCALATION, overdue.pk, "t-chair"),
    }
    assert Notification.objects.filter(kind=Kind.TASK_OVERDUE).count() == 1  # not re-sent daily


def test_first_contact_goes_to_the_chair_when_the_lead_agency_has_no_active_member(
    cast, time_machine, no_digest
):
    time_machine.move_to(T0, tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.housing)
    Membership.objects.filter(user=cast.rep_housing).update(is_active=False)
    time_machine.move_to(T0 + datetime.timedelta(hours=49), tick=False)
    services.sweep()
    assert triples() == {(Kind.FIRST_CONTACT_OVERDUE, s.pk, "t-chair")}


def test_weekly_digest_goes_once_a_week_to_each_active_member_who_did_not_opt_out(
    cast, time_machine
):
    NotificationPreference.objects.create(user=cast.rep_housing, digest_opt_out=True)
    monday_7 = b.local(2026, 5, 4, 7, 0)
    time_machine.move_to(monday_7 - datetime.timedelta(minutes=1), tick=False)
    services.sweep()
    assert not Notification.objects.filter(kind=Kind.WEEKLY_DIGEST, slot="2026-W19").exists()

    time_machine.move_to(monday_7, tick=False)
    services.sweep()
    time_machine.move_to(monday_7 + datetime.timedelta(days=2), tick=False)
    services.sweep()
    digests = Notification.objects.filter(kind=Kind.WEEKLY_DIGEST, slot="2026-W19")
    assert set(digests.values_list("recipient__username", flat=True)) == (
        TABLE_MEMBERS - {"t-rep-housing"}
    ) | {"t-outsider"}
    assert digests.count() == len(TABLE_MEMBERS)  # one each, despite two sweeps

    time_machine.move_to(monday_7 + datetime.timedelta(days=7), tick=False)
    services.sweep()
    assert Notification.objects.filter(kind=Kind.WEEKLY_DIGEST, slot="2026-W20").count() == len(
        TABLE_MEMBERS
    )


def test_digest_counts_the_agency_open_and_overdue_tasks(cast, time_machine):
    time_machine.move_to(b.local(2026, 5, 1, 9), tick=False)
    s = b.situation(cast, stage="intervention", lead=cast.police)
    b.task(cast, s, owner=cast.police, due=datetime.date(2026, 5, 1))
    b.task(cast, s, owner=cast.police, due=datetime.date(2026, 5, 20))
    b.task(cast, s, owner=cast.housing, due=datetime.date(2026, 5, 20))
    b.meeting(cast, b.local(2026, 5, 7, 10), agenda=[s])
    time_machine.move_to(b.local(2026, 5, 4, 8), tick=False)
    services.sweep()
    digest = Notification.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=cast.rep_police)
    assert digest.data["open_tasks"] == 2
    assert digest.data["overdue_tasks"] == 1
    assert parse_datetime(digest.data["next_meeting"]) == b.local(2026, 5, 7, 10)


def test_unsent_notification_is_enqueued_again_once_its_lease_expires(
    cast, time_machine, settings, no_digest
):
    """A message lost by the broker leaves the row unsent: a later sweep finds it again."""
    settings.NOTIFICATION_CLAIM_LEASE_SECONDS = 900
    time_machine.move_to(SWEEP, tick=False)
    b.meeting(cast, SWEEP + datetime.timedelta(hours=3))
    assert services.sweep().enqueued == len(TABLE_MEMBERS)

    time_machine.move_to(SWEEP + datetime.timedelta(minutes=14), tick=False)
    assert services.sweep().enqueued == 0
    time_machine.move_to(SWEEP + datetime.timedelta(minutes=16), tick=False)
    assert services.sweep().enqueued == len(TABLE_MEMBERS)


def test_expired_claim_of_a_dead_worker_is_released_but_a_fresh_claim_is_not(
    cast, time_machine, settings, no_digest
):
    settings.NOTIFICATION_CLAIM_LEASE_SECONDS = 900
    time_machine.move_to(SWEEP, tick=False)
    b.meeting(cast, SWEEP + datetime.timedelta(hours=3))
    services.sweep()
    stale, fresh, sent = Notification.objects.order_by("pk")[:3]
    Notification.objects.filter(pk=stale.pk).update(claimed_at=SWEEP)
    Notification.objects.filter(pk=fresh.pk).update(
        claimed_at=SWEEP + datetime.timedelta(minutes=10)
    )
    Notification.objects.filter(pk=sent.pk).update(claimed_at=SWEEP, sent_at=SWEEP)

    time_machine.move_to(SWEEP + datetime.timedelta(minutes=16), tick=False)
    result = services.sweep()
    assert result.released == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.claimed_at is None and stale.enqueued_at == timezone.now()
    assert stale.attempts == 1 and stale.last_error == "lease expired"
    assert fresh.claimed_at is not None
    # Released plus the three never-claimed rows whose enqueue stamp has expired.
    assert result.enqueued == len(TABLE_MEMBERS) - 2


def test_notifications_that_failed_too_often_are_left_for_an_operator(
    cast, time_machine, settings, no_digest
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    time_machine.move_to(SWEEP, tick=False)
    b.meeting(cast, SWEEP + datetime.timedelta(hours=3))
    services.sweep()
    Notification.objects.update(attempts=3, enqueued_at=None)
    assert services.sweep().enqueued == 0


def test_sweep_without_enqueue_records_notifications_for_a_later_sweep(
    cast, time_machine, no_digest
):
    time_machine.move_to(SWEEP, tick=False)
    b.meeting(cast, SWEEP + datetime.timedelta(hours=3))
    assert services.sweep(enqueue=False).enqueued == 0
    assert not Notification.objects.filter(enqueued_at__isnull=False).exists()
    assert services.sweep().enqueued == len(TABLE_MEMBERS)


def test_inactive_table_gets_no_notifications(cast, time_machine, no_digest):
    time_machine.move_to(SWEEP, tick=False)
    b.meeting(cast, SWEEP + datetime.timedelta(hours=3))
    type(cast.table).objects.filter(pk=cast.table.pk).update(is_active=False)
    assert services.sweep().created == {}


def _world(cast, n_tasks: int, n_meetings: int):
    s = b.situation(cast, stage="intervention", lead=cast.police)
    for i in range(n_tasks):
        b.task(cast, s, owner=[cast.police, cast.housing, cast.health][i % 3], due=T0.date())
    for i in range(n_meetings):
        b.meeting(cast, SWEEP + datetime.timedelta(hours=1 + i))


def count_sweep_queries() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        result = services.sweep()
    return len(ctx.captured_queries), result.created_total


@pytest.mark.parametrize("digest_due", [False, True])
def test_sweep_query_count_does_not_grow_with_the_number_of_due_items(
    cast, time_machine, settings, digest_due
):
    settings.NOTIFICATION_DIGEST_WEEKDAY = 0 if digest_due else 6
    time_machine.move_to(T0, tick=False)
    _world(cast, n_tasks=2, n_meetings=1)
    time_machine.move_to(SWEEP, tick=False)
    small, small_created = count_sweep_queries()

    Notification.objects.all().delete()
    time_machine.move_to(T0, tick=False)
    _world(cast, n_tasks=24, n_meetings=6)
    for _ in range(5):
        MembershipFactory(table=cast.table, agency=cast.health, role=Role.REPRESENTATIVE)
    time_machine.move_to(SWEEP, tick=False)
    large, large_created = count_sweep_queries()

    assert large_created > 5 * small_created
    if connection.vendor == "postgresql":
        assert large == small
    else:
        # SQLite caps the parameters of one INSERT, so Django splits the bulk insert.
        assert large <= small + 5
