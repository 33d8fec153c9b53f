"""The list selectors that must not depend on history: newest first, and counts per row that stay
right without a GROUP BY over the whole table (benchmarks/README.md)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from agencies.permissions import get_table_access
from cases import selectors
from cases.models import (
    AgendaItem,
    AgendaSection,
    Decision,
    DecisionKind,
    Meeting,
    Situation,
    Status,
    Task,
)


def _situations(cast, ages_in_days):
    now = timezone.now()
    return Situation.objects.bulk_create(
        Situation(
            table=cast.table,
            number=f"{cast.table.code}-2021-{i:05d}",
            year=2021,
            sequence=i,
            originating_agency=cast.police,
            subject_type="individual",
            age_group="18-24",
            gender="female",
            narrative="History.",
            status=Status.INTERVENTION,
            created_at=now - datetime.timedelta(days=days),
        )
        for i, days in enumerate(ages_in_days, start=1)
    )


def test_situation_list_is_newest_first_with_its_open_task_counts(client, cast):
    old, newest, middle = _situations(cast, [300, 1, 40])
    today = timezone.localdate()
    Task.objects.bulk_create(
        [
            Task(situation=middle, owner_agency=cast.police, description="a", due_date=today),
            Task(situation=middle, owner_agency=cast.housing, description="b", due_date=today),
            Task(
                situation=middle,
                owner_agency=cast.police,
                description="done",
                due_date=today,
                done_at=timezone.now(),
            ),
        ]
    )
    access = get_table_access(cast.chair, cast.table.pk)

    rows = list(selectors.situation_list(access))

    assert [s.pk for s in rows] == [newest.pk, middle.pk, old.pk]
    assert [s.open_tasks for s in rows] == [0, 2, 0]
    client.force_login(cast.chair)
    page = client.get(reverse("situation-list", args=[cast.table.pk]))
    assert [s.pk for s in page.context["situations"]] == [newest.pk, middle.pk, old.pk]


def test_meeting_list_counts_agenda_items_and_decisions_each_once(cast):
    situations = _situations(cast, [10, 9, 8])
    busy, empty = Meeting.objects.bulk_create(
        [
            Meeting(table=cast.table, scheduled_at=timezone.now() - datetime.timedelta(days=7)),
            Meeting(table=cast.table, scheduled_at=timezone.now()),
        ]
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=busy, situation=s, section=AgendaSection.NEW, position=i)
        for i, s in enumerate(situations)
    )
    Decision.objects.bulk_create(
        Decision(situation=s, meeting=busy, kind=DecisionKind.F2_ACCEPTED) for s in situations[:2]
    )
    access = get_table_access(cast.chair, cast.table.pk)

    counts = {m.pk: (m.agenda_size, m.decisions_count) for m in selectors.meeting_list(access)}

    # Joining both relations at once would count 3 x 2 rows per meeting without DISTINCT.
    assert counts == {busy.pk: (3, 2), empty.pk: (0, 0)}
