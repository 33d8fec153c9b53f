"""Races between real transactions in real threads.

Two chairs pressing "decide" at the same moment, or two agencies logging a situation at the same
moment, must not both win. These tests need a database with row locks (PostgreSQL) and commit for
real, so they run in transactional mode.
"""

import threading

import pytest
from django.db import connection

from cases import services
from cases.models import Decision, F2Disposition, Situation, Status, StatusChange
from core.exceptions import InvalidTransition

from .factories import ALL_AER_ELEMENTS, bring_to, new_situation_kwargs

TIMEOUT = 30  # seconds; a deadlock fails the test instead of hanging the suite

pytestmark = [
    # Transactional: each thread commits for real. The flush afterwards also wipes the data
    # migrations (sectors, risk taxonomy); tests/conftest.py puts them back after each such test.
    # (serialized_rollback would re-insert guardian's AnonymousUser, which the flush's
    # post_migrate signal has already recreated, and fail on its unique username.)
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite has no row locks (select_for_update); run against PostgreSQL.",
    ),
]


def run_together(*calls):
    """Run each call in its own thread and its own connection, released at the same instant.

    Returns one ``("ok", result)`` or ``("error", exception)`` per call, in order.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=TIMEOUT)
            outcomes[index] = ("ok", call())
        except Exception as exc:  # the test inspects what each thread raised
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting (deadlock?)"
    return outcomes


def test_two_simultaneous_filter2_decisions_have_exactly_one_winner(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)

    outcomes = run_together(
        lambda: services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.ACCEPTED,
            aer_elements=ALL_AER_ELEMENTS,
        ),
        lambda: services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.REJECTED,
            reason="Single-sector risk; the agency keeps it.",
        ),
    )

    winners = [result for kind, result in outcomes if kind == "ok"]
    losers = [error for kind, error in outcomes if kind == "error"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], InvalidTransition), repr(losers[0])
    assert "Filter 2 applies to presented situations" in losers[0].message

    situation.refresh_from_db()
    assert situation.status == winners[0].status
    assert situation.status in (Status.ACCEPTED, Status.REJECTED)
    [decision_change] = StatusChange.objects.filter(
        situation=situation, event__startswith="situation.f2."
    )
    assert decision_change.from_status == Status.PRESENTED
    assert decision_change.to_status == situation.status
    assert Decision.objects.filter(situation=situation).count() == 1


def test_two_simultaneous_intakes_on_one_table_get_distinct_numbers(cast):
    outcomes = run_together(
        lambda: services.create_situation(
            actor=cast.rep_police, table=cast.table, **new_situation_kwargs()
        ),
        lambda: services.create_situation(
            actor=cast.rep_housing, table=cast.table, **new_situation_kwargs()
        ),
    )

    assert [kind for kind, _result in outcomes] == ["ok", "ok"], outcomes
    rows = list(Situation.objects.filter(table=cast.table).values_list("number", "sequence"))
    assert len(rows) == 2
    assert sorted(sequence for _number, sequence in rows) == [1, 2]
    assert len({number for number, _sequence in rows}) == 2
    assert StatusChange.objects.filter(event="situation.created").count() == 2
