"""Two "Fill agenda" clicks, or several adds, at the same moment in real transactions: each
situation goes on the agenda once, positions stay distinct, and nobody gets a 500."""

import pytest
from django.db import connection

from cases import services
from cases.models import AgendaItem, Status

from .factories import MeetingFactory, bring_to
from .test_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite has no row locks (select_for_update); run against PostgreSQL.",
    ),
]


def test_simultaneous_fill_agenda_clicks_add_each_situation_once(cast):
    situations = [bring_to(Status.PRESENTED, cast=cast) for _ in range(3)]
    meeting = MeetingFactory(table=cast.table)
    outcomes = run_together(
        *[lambda: services.fill_agenda(actor=cast.coordinator, meeting=meeting) for _ in range(4)]
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert sorted(result for _, result in outcomes) == [0, 0, 0, 3]
    items = AgendaItem.objects.filter(meeting=meeting)
    assert sorted(i.situation_id for i in items) == sorted(s.pk for s in situations)
    positions = list(items.values_list("section", "position"))
    assert len(positions) == len(set(positions)), positions


def test_simultaneous_adds_get_distinct_positions(cast):
    situations = [bring_to(Status.PRESENTED, cast=cast) for _ in range(4)]
    meeting = MeetingFactory(table=cast.table)
    outcomes = run_together(
        *[
            (
                lambda s=s: services.add_to_agenda(
                    actor=cast.coordinator, meeting=meeting, situation=s
                )
            )
            for s in situations
        ]
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    positions = AgendaItem.objects.filter(meeting=meeting).values_list("position", flat=True)
    assert sorted(positions) == [1, 2, 3, 4]
