"""The sweep: find what is due and write one ``Notification`` per recipient, at most once.

``sweep`` inserts one row per (kind, object, recipient, slot) with ``ON CONFLICT DO NOTHING``, so
running it twice (or twice at once) changes nothing. It then marks the unsent rows it hands to
Celery (``enqueued_at``) and publishes their ids after commit. A message lost in Redis leaves its
rows unsent; once the lease has passed the next sweep publishes them again. A fixed number of
queries per sweep whatever the number of tables, meetings or tasks.
"""

import dataclasses
import datetime
import functools
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import nullcontext

import kombu.exceptions
from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, F, Max, Min, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone

from agencies.models import Membership, Role
from cases.models import ACTIVE_AER_STATUSES, Meeting, Situation, Task

from .models import Kind, Notification, NotificationPreference

logger = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, OSError)

FIRST_CONTACT_SLOT = "f2+first-contact"


# --- The sweep ----------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Due:
    """Something due, and who must hear of it (resolved against active memberships)."""

    kind: str
    object_id: int
    slot: str
    table_id: int
    due_at: datetime.datetime
    data: dict
    audience: str  # "table", "agency", "chairs", "agency_or_chairs" or "user"
    agency_id: int | None = None
    user_id: int | None = None


@dataclasses.dataclass
class SweepResult:
    created: dict[str, int]
    enqueued: int
    released: int

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    def as_dict(self) -> dict:
        return {"created": self.created, "enqueued": self.enqueued, "released": self.released}


def sweep(*, now: datetime.datetime | None = None, enqueue: bool = True) -> SweepResult:
    """Create the notifications due at ``now`` and hand every unsent one to the workers.

    ``enqueue=False`` only records them (the demo uses it, so that seeding prints no emails); the
    next sweep with ``enqueue=True`` sends them.
    """
    now = now or timezone.now()
    with transaction.atomic():
        released = _release_expired_claims(now)
        # Earlier rows still unsent (a lost message, a failed send), before the new ones exist.
        ids = _mark_enqueued(now) if enqueue else []
        due = [
            *_meeting_reminders(now),
            *_task_notices(now),
            *_first_contact_deadlines(now),
            *_weekly_digests(now),
        ]
        created, new_ids = _create(due, now, enqueue=enqueue)
        if enqueue:
            ids += new_ids
        if ids:
            transaction.on_commit(lambda: enqueue_deliveries(ids))
    if created or ids or released:
        logger.info(
            "notification sweep: created %s, enqueued %d, released %d",
            dict(created),
            len(ids),
            released,
        )
    return SweepResult(created=dict(created), enqueued=len(ids), released=released)


def _lease_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)


def _release_expired_claims(now: datetime.datetime) -> int:
    # A claim older than the lease belongs to a worker that died mid-send (a live one finishes
    # within EMAIL_TIMEOUT, well inside the lease). Releasing it lets the row be sent again.
    return Notification.objects.filter(
        sent_at__isnull=True, cancelled_at__isnull=True, claimed_at__lt=_lease_cutoff(now)
    ).update(
        claimed_at=None,
        enqueued_at=None,
        attempts=F("attempts") + 1,
        last_error="lease expired",
    )


def _utc_minute(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")


def meeting_slot(offset_hours: int, scheduled_at: datetime.datetime) -> str:
    # The meeting time is part of the slot: a rescheduled meeting is reminded again.
    return f"{offset_hours}h@{_utc_minute(scheduled_at)}"


def _meeting_reminders(now: datetime.datetime) -> list[Due]:
    offsets = sorted({int(h) for h in settings.NOTIFICATION_REMINDER_OFFSETS_HOURS if int(h) > 0})
    if not offsets:
        return []
    meetings = (
        Meeting.objects.filter(
            closed_at__isnull=True,
            started_at__isnull=True,
            scheduled_at__gt=now,
            scheduled_at__lte=now + datetime.timedelta(hours=offsets[-1]),
            table__is_active=True,
        )
        .annotate(agenda_size=Count("agenda_items"))
        .values_list("pk", "table_id", "scheduled_at", "agenda_size")
    )
    due = []
    for pk, table_id, scheduled_at, agenda_size in meetings:
        # Only the nearest offset still ahead: a meeting booked 90 minutes ahead gets the 2-hour
        # reminder, never a belated "48 hours before" one as well.
        left = scheduled_at - now
        offset = next(h for h in offsets if left <= datetime.timedelta(hours=h))
        due.append(
            Due(
                kind=Kind.MEETING_REMINDER,
                object_id=pk,
                slot=meeting_slot(offset, scheduled_at),
                table_id=table_id,
                due_at=scheduled_at - datetime.timedelta(hours=offset),
                data={
                    "scheduled_at": scheduled_at.isoformat(),
                    "agenda_size": agenda_size,
                    "offset_hours": offset,
                },
                audience="table",
            )
        )
    return due


def _not_notified(kind: str, slot) -> Exists:
    # Once an object's notice for a slot exists (for all its recipients: the sweep inserts them in
    # one transaction) the sweep stops looking at it, so steady-state sweeps stay cheap.
    return ~Exists(
        Notification.objects.filter(kind=kind, object_id=OuterRef("pk"), slot=slot).values("pk")
    )


def _task_notices(now: datetime.datetime) -> list[Due]:
    today = timezone.localdate(now)
    grace = datetime.timedelta(days=settings.NOTIFICATION_ESCALATION_GRACE_DAYS)
    open_tasks = Task.objects.filter(
        done_at__isnull=True,
        situation__status__in=ACTIVE_AER_STATUSES,
        situation__table__is_active=True,
    ).annotate(due_slot=Cast("due_date", CharField()))
    fields = (
        "pk",
        "due_slot",
        "due_date",
        "owner_agency_id",
        "owner_agency__short_name",
        "owner_agency__name",
        "situation_id",
        "situation__number",
        "situation__table_id",
    )
    selections = [
        (Kind.TASK_DUE_TOMORROW, Q(due_date=today + datetime.timedelta(days=1)), "agency"),
        (Kind.TASK_OVERDUE, Q(due_date__lt=today), "agency"),
        (Kind.TASK_ESCALATION, Q(due_date__lt=today - grace), "chairs"),
    ]
    midnight = functools.cache(
        lambda day: timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    )
    due = []
    for kind, condition, audience in selections:
        rows = open_tasks.filter(condition).filter(_not_notified(kind, OuterRef("due_slot")))
        for (
            pk,
            slot,
            due_date,
            agency_id,
            short,
            name,
            situation_id,
            number,
            table_id,
        ) in rows.values_list(*fields):
            start = {
                Kind.TASK_DUE_TOMORROW: due_date - datetime.timedelta(days=1),
                Kind.TASK_OVERDUE: due_date + datetime.timedelta(days=1),
                Kind.TASK_ESCALATION: due_date + grace + datetime.timedelta(days=1),
            }[kind]
            due.append(
                Due(
                    kind=kind,
                    object_id=pk,
                    slot=slot,
                    table_id=table_id,
                    due_at=midnight(start),
                    data={
                        "situation_id": situation_id,
                        "number": number,
                        "due": due_date.isoformat(),
                        "agency": short or name,
                    },
                    audience=audience,
                    agency_id=agency_id,
                )
            )
    return due


def _first_contact_deadlines(now: datetime.datetime) -> list[Due]:
    """F4: first contact within 48 h of the Filter 2 acceptance."""
    hours = settings.NOTIFICATION_FIRST_CONTACT_HOURS
    late = (
        Situation.objects.filter(
            status__in=ACTIVE_AER_STATUSES,
            f2_decided_at__isnull=False,
            f2_decided_at__lte=now - datetime.timedelta(hours=hours),
            first_intervention_at__isnull=True,
            table__is_active=True,
        )
        .filter(_not_notified(Kind.FIRST_CONTACT_OVERDUE, FIRST_CONTACT_SLOT))
        .values_list("pk", "table_id", "number", "f2_decided_at", "lead_agency_id")
    )
    return [
        Due(
            kind=Kind.FIRST_CONTACT_OVERDUE,
            object_id=pk,
            slot=FIRST_CONTACT_SLOT,
            table_id=table_id,
            due_at=decided_at + datetime.timedelta(hours=hours),
            data={"number": number, "decided_at": decided_at.isoformat(), "hours": hours},
            audience="agency_or_chairs",
            agency_id=lead_agency_id,
        )
        for pk, table_id, number, decided_at, lead_agency_id in late
    ]


def digest_week(now: datetime.datetime) -> tuple[str, datetime.datetime]:
    """This week's digest slot (ISO week) and the local moment it becomes due."""
    local = timezone.localtime(now)
    monday = local.date() - datetime.timedelta(days=local.weekday())
    send_day = monday + datetime.timedelta(days=settings.NOTIFICATION_DIGEST_WEEKDAY)
    due_at = timezone.make_aware(
        datetime.datetime.combine(send_day, datetime.time(settings.NOTIFICATION_DIGEST_HOUR))
    )
    year, week, _ = local.date().isocalendar()
    return f"{year}-W{week:02d}", due_at


def _weekly_digests(now: datetime.datetime) -> list[Due]:
    slot, due_at = digest_week(now)
    if now < due_at:
        return []
    members = list(
        Membership.objects.filter(is_active=True, table__is_active=True, user__is_active=True)
        .exclude(
            Exists(
                NotificationPreference.objects.filter(
                    user_id=OuterRef("user_id"), digest_opt_out=True
                )
            )
        )
        .filter(_not_notified(Kind.WEEKLY_DIGEST, slot))
        .values_list("pk", "user_id", "table_id", "agency_id", "agency__short_name")
    )
    if not members:
        return []
    table_ids = {m[2] for m in members}
    today = timezone.localdate(now)
    task_counts = {
        (row["situation__table_id"], row["owner_agency_id"]): row
        for row in Task.objects.filter(
            done_at__isnull=True,
            situation__status__in=ACTIVE_AER_STATUSES,
            situation__table_id__in=table_ids,
        )
        .values("situation__table_id", "owner_agency_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
        .order_by()
    }
    next_meetings = dict(
        Meeting.objects.filter(
            table_id__in=table_ids, closed_at__isnull=True, scheduled_at__gte=now
        )
        .values("table_id")
        .annotate(next=Min("scheduled_at"))
        .order_by()
        .values_list("table_id", "next")
    )
    due = []
    for pk, user_id, table_id, agency_id, short in members:
        counts = task_counts.get((table_id, agency_id), {})
        next_meeting = next_meetings.get(table_id)
        due.append(
            Due(
                kind=Kind.WEEKLY_DIGEST,
                object_id=pk,
                slot=slot,
                table_id=table_id,
                due_at=due_at,
                data={
                    "agency": short,
                    "open_tasks": counts.get("open", 0),
                    "overdue_tasks": counts.get("overdue", 0),
                    "next_meeting": next_meeting.isoformat() if next_meeting else None,
                },
                audience="user",
                user_id=user_id,
            )
        )
    return due


def _recipients(due: Sequence[Due]) -> Iterator[tuple[Due, int]]:
    """Pair each due item with its recipients: active members of active tables only."""
    table_ids = {item.table_id for item in due if item.audience != "user"}
    by_table: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    if table_ids:
        for user_id, table_id, agency_id, role in Membership.objects.filter(
            table_id__in=table_ids, is_active=True, table__is_active=True, user__is_active=True
        ).values_list("user_id", "table_id", "agency_id", "role"):
            by_table[table_id].append((user_id, agency_id, role))
    for item in due:
        members = by_table.get(item.table_id, [])
        if item.audience == "user":
            users = [item.user_id]
        elif item.audience == "table":
            users = [m[0] for m in members]
        elif item.audience == "chairs":
            users = [m[0] for m in members if m[2] == Role.CHAIR]
        else:
            users = [m[0] for m in members if item.agency_id and m[1] == item.agency_id]
            if not users and item.audience == "agency_or_chairs":
                # No lead agency yet (or nobody active in it): the chair must know.
                users = [m[0] for m in members if m[2] == Role.CHAIR]
        for user_id in users:
            yield item, user_id


def _create(
    due: Sequence[Due], now: datetime.datetime, *, enqueue: bool
) -> tuple[Counter, list[int]]:
    """Insert the notifications that do not exist yet; return counts by kind and their ids."""
    # New rows are born stamped as enqueued (their ids are published after commit), so the big
    # first sweep does not have to UPDATE what it has just inserted.
    stamp = now if enqueue else None
    pairs = list(_recipients(due))
    if not pairs:
        return Counter(), []
    # ON CONFLICT DO NOTHING on the (kind, object, slot, recipient) constraint: idempotent, and
    # safe when two sweeps overlap.
    if connection.vendor == "postgresql":
        inserted = _insert_postgresql(pairs, now, stamp)
    else:
        # SQLite cannot return the rows an INSERT ... ON CONFLICT DO NOTHING wrote; ids grow.
        last = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        Notification.objects.bulk_create(
            [
                Notification(
                    kind=item.kind,
                    object_id=item.object_id,
                    slot=item.slot,
                    recipient_id=user_id,
                    table_id=item.table_id,
                    data=item.data,
                    due_at=item.due_at,
                    created_at=now,
                    enqueued_at=stamp,
                )
                for item, user_id in pairs
            ],
            ignore_conflicts=True,
        )
        inserted = Notification.objects.filter(pk__gt=last).values_list("pk", "kind")
    ids, kinds = [], Counter()
    for pk, kind in inserted:
        ids.append(pk)
        kinds[kind] += 1
    return kinds, sorted(ids)


def _insert_postgresql(pairs, now, stamp) -> list[tuple[int, str]]:
    """The same INSERT ... ON CONFLICT DO NOTHING as ``bulk_create(ignore_conflicts=True)``, with
    the rows sent as one JSON parameter and the new ids returned: for 10,000 due tasks, Django's
    per-value preparation of 15 columns took ~3 s, this takes a tenth of that."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    payload = json.dumps(
        [
            {
                "kind": item.kind,
                "object_id": item.object_id,
                "slot": item.slot,
                "recipient_id": user_id,
                "table_id": item.table_id,
                "data": item.data,
                "due_at": item.due_at.isoformat(),
            }
            for item, user_id in pairs
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (kind, object_id, slot, recipient_id, table_id, data, due_at,
                                 created_at, enqueued_at, attempts, last_error)
            SELECT r.kind, r.object_id, r.slot, r.recipient_id, r.table_id, r.data, r.due_at,
                   %s, %s, 0, ''
            FROM jsonb_to_recordset(%s::jsonb) AS r(
                kind varchar, object_id bigint, slot varchar, recipient_id bigint,
                table_id bigint, data jsonb, due_at timestamptz)
            ON CONFLICT DO NOTHING
            RETURNING id, kind
            """,  # noqa: S608  # nosec B608  # only our own quoted table name is interpolated
            [now, stamp, payload],
        )
        return cursor.fetchall()


def _mark_enqueued(now: datetime.datetime) -> list[int]:
    """Stamp every unsent, unclaimed row that is not already on its way (never enqueued, or
    enqueued longer ago than the lease: its message was lost), and return their ids."""
    cutoff = _lease_cutoff(now)
    # Rows past the attempt cap are not given up: they are retried at a slow cadence, so a
    # long outage ends with every notification sent.
    slow = now - datetime.timedelta(seconds=settings.NOTIFICATION_SLOW_RETRY_SECONDS)
    below_cap = Q(attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS) & (
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)
    )
    past_cap = Q(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS) & (
        Q(enqueued_at__lt=slow) | Q(enqueued_at__isnull=True, created_at__lt=slow)
    )
    Notification.objects.filter(
        sent_at__isnull=True,
        cancelled_at__isnull=True,
        claimed_at__isnull=True,
    ).filter(below_cap | past_cap).update(enqueued_at=now)
    return list(
        Notification.objects.filter(
            enqueued_at=now, sent_at__isnull=True, cancelled_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def enqueue_deliveries(ids: Sequence[int]) -> int:
    """Publish ``send_notifications`` messages (ids only, in batches). Returns how many batches.

    If the broker is unreachable the rows are un-stamped, so the next sweep tries again instead of
    waiting for the lease.
    """
    from .tasks import send_notifications

    app = send_notifications.app
    options = {"queue": settings.NOTIFICATION_QUEUE} if settings.NOTIFICATION_QUEUE else {}
    batches = list(_chunks(ids, max(int(settings.NOTIFICATION_BATCH_SIZE), 1)))
    published = 0
    try:
        # One producer (one broker connection) for all the batches of this sweep.
        with nullcontext() if app.conf.task_always_eager else app.producer_or_acquire() as producer:
            for batch in batches:
                send_notifications.apply_async(
                    (batch,),
                    producer=producer,
                    # Celery would repr the whole id list into the message headers and logs.
                    argsrepr=f"[{len(batch)} notification ids]",
                    **options,
                )
                published += 1
    except BROKER_ERRORS as exc:
        unsent = [i for batch in batches[published:] for i in batch]
        logger.warning(
            "could not enqueue %d notifications (%s); the next sweep retries",
            len(unsent),
            type(exc).__name__,
        )
        Notification.objects.filter(
            pk__in=unsent, sent_at__isnull=True, claimed_at__isnull=True
        ).update(enqueued_at=None)
    return published
