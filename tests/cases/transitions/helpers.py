"""Shared helpers for the state-machine tests: audit readers, the snapshot a refused action must
leave untouched, the identifying narratives, and the one runner every "refused and nothing
changed" case goes through.

A refusal is described as data (:class:`Refusal`) and run by :func:`assert_refused`:

1. bring a fresh situation of ``cast.table`` to ``status`` (none when ``status`` is ``None``);
2. run ``setup`` (optional) — it returns the *subject* handed to ``call``: the situation itself,
   a planned copy of it, or a namespace when the case needs more (a meeting, a task …);
3. read ``state`` — by default :func:`snapshot` of the situation, or :func:`everything` in the
   database when there is no situation;
4. ``call`` the service inside ``pytest.raises(error)`` and apply ``check`` to the exception;
5. read ``state`` again: it must be unchanged; then run ``after`` (optional extra assertions).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import AgendaItem, Attendance, Decision, Meeting, Situation, StatusChange, Task

from ..factories import bring_to

TODAY = timezone.localdate
IN_A_WEEK = datetime.timedelta(days=7)


# --- Audit readers -------------------------------------------------------------------------------


def changes(situation) -> list[StatusChange]:
    return list(StatusChange.objects.filter(situation_id=situation.pk).order_by("at", "id"))


def last_change(situation) -> StatusChange:
    return changes(situation)[-1]


def events(situation) -> list[str]:
    return [c.event for c in changes(situation)]


# --- What a refused action must leave untouched --------------------------------------------------


def snapshot(situation) -> dict:
    """Everything a rejected action must leave untouched, read back from the database."""
    s = Situation.objects.get(pk=situation.pk)
    return {
        "status": s.status,
        "narrative": s.narrative,
        "age_group": s.age_group,
        "f1_attested_at": s.f1_attested_at,
        "f1_attested_by": s.f1_attested_by_id,
        "f2_disposition": s.f2_disposition,
        "f2_reason": s.f2_reason,
        "f3_at": s.f3_at,
        "lead_agency": s.lead_agency_id,
        "f4_planned_at": s.f4_planned_at,
        "first_intervention_at": s.first_intervention_at,
        "concluded_at": s.concluded_at,
        "updated_at": s.updated_at,
        "risk_factors": sorted(s.risk_factors.values_list("code", flat=True)),
        "f3_agencies": sorted(s.f3_agencies.values_list("pk", flat=True)),
        "assisting": sorted(s.assisting_agencies.values_list("pk", flat=True)),
        "status_changes": s.status_changes.count(),
        "decisions": s.decisions.count(),
        "tasks": list(s.tasks.order_by("pk").values_list("pk", "done_at", "done_by")),
        "agenda": list(s.agenda_items.order_by("pk").values_list("pk", "discussed_at")),
    }


def everything() -> dict:
    """Every situation, audit row, decision, task, meeting, agenda item and attendance in the
    database: what must not change when a refused action has no single situation to look at."""
    return {
        "situations": list(Situation.objects.order_by("pk").values()),
        "changes": StatusChange.objects.count(),
        "decisions": Decision.objects.count(),
        "tasks": list(Task.objects.order_by("pk").values()),
        "meetings": list(Meeting.objects.order_by("pk").values()),
        "agenda": list(AgendaItem.objects.order_by("pk").values()),
        "attendance": list(Attendance.objects.order_by("pk").values()),
    }


def nothing_created(*models) -> Callable[[Any, Any], None]:
    """An ``after`` check: no row of any of ``models`` exists."""

    def check(cast, subject) -> None:
        for model in models:
            assert not model.objects.exists(), f"a {model.__name__} was created"

    return check


# --- Identifying information ---------------------------------------------------------------------


class PiiNarrative(NamedTuple):
    id: str
    text: str
    leaked: str  # the part that must never be echoed back


# Narratives that carry identifying information, and the part that must never be echoed back.
PII_NARRATIVES = [
    PiiNarrative("phone", "Parent can be reached at 613-555-0199 after 5 pm.", "613-555-0199"),
    PiiNarrative("address", "Youth is staying at 123 Main Street with an aunt.", "123 Main Street"),
    PiiNarrative("dob", "Youth born 2009-04-03 has missed 3 weeks of school.", "2009-04-03"),
    PiiNarrative("name", "Mr. Smith says his son has not been home for 4 nights.", "Smith"),
    PiiNarrative("postal-code", "Family near K1A 0B1 has had no heat for 2 weeks.", "K1A 0B1"),
    PiiNarrative("email", "Mother writes from jane.doe@example.com about 3 evictions.", "jane.doe"),
]


def assert_pii_error(exc: ValidationError, leaked: str) -> None:
    assert exc.code == "pii"
    text = " ".join(exc.messages)
    assert "de-identified" in text
    assert leaked not in text


# --- Checks on the exception of a refusal --------------------------------------------------------
# A ``check`` is either a string (a regular expression searched in ``str(exception)``, exactly
# like ``pytest.raises(match=...)``) or one of these functions of the exception.


def message_is(expected: str) -> Callable[[Exception], None]:
    def check(exc) -> None:
        assert exc.message == expected

    return check


def message_starts_with(prefix: str) -> Callable[[Exception], None]:
    def check(exc) -> None:
        assert exc.message.startswith(prefix)

    return check


def error_on(field: str, messages: list[str] | None = None) -> Callable[[Exception], None]:
    """The ``ValidationError`` names ``field`` (with exactly ``messages``, when given)."""

    def check(exc) -> None:
        assert field in exc.message_dict
        if messages is not None:
            assert exc.message_dict[field] == messages

    return check


def errors_on_exactly(*fields: str) -> Callable[[Exception], None]:
    def check(exc) -> None:
        assert set(exc.message_dict) == set(fields)

    return check


def pii_error(leaked: str) -> Callable[[Exception], None]:
    def check(exc) -> None:
        assert_pii_error(exc, leaked)

    return check


def not_echoed(leaked: str) -> Callable[[Exception], None]:
    def check(exc) -> None:
        assert leaked not in " ".join(exc.messages)

    return check


# --- The refusal runner --------------------------------------------------------------------------

Check = str | Callable[[Exception], None] | None


@dataclass(frozen=True)
class Refusal:
    """One action that must be refused and leave everything as it was (see the module doc)."""

    id: str
    status: str | None  # bring a new situation of cast.table here first; None: no situation
    call: Callable[[Any, Any], object]  # (cast, subject) -> calls the service
    error: type[Exception]
    check: Check = None
    setup: Callable[[Any, Any], Any] | None = None  # (cast, situation) -> subject
    state: Callable[[Any], object] | None = None  # (subject) -> what must not change
    after: Callable[[Any, Any], None] | None = None  # (cast, subject) -> extra assertions


def assert_refused(cast, case: Refusal) -> None:
    subject = bring_to(case.status, cast=cast) if case.status is not None else None
    if case.setup is not None:
        subject = case.setup(cast, subject)
    if case.state is not None:
        state = case.state
    elif case.status is not None:
        state = snapshot
    else:

        def state(subject):
            return everything()

    before = state(subject)

    match = case.check if isinstance(case.check, str) else None
    with pytest.raises(case.error, match=match) as exc:
        case.call(cast, subject)
    if callable(case.check):
        case.check(exc.value)

    assert state(subject) == before
    if case.after is not None:
        case.after(cast, subject)


def refusals(cases: list[Refusal]) -> list:
    """``cases`` as ``pytest.param``s named by their ids, which must be unique."""
    ids = [case.id for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate refusal ids: {duplicates}"
    return [pytest.param(case, id=case.id) for case in cases]
