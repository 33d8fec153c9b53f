"""A member of another table — or someone with no membership at all — is denied every public
service of ``cases.services`` on this table's objects, and nothing in the database changes.

``EVERY_SERVICE`` calls each public service on one object of this table at the right stage (from
the ``world`` fixture); ``test_every_service_is_covered_by_the_permission_sweep`` keeps it in step
with the services module. ``tests/cases/test_one_history.py`` reuses both ``EVERY_SERVICE`` and
``world``.
"""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases import services
from cases.models import ConclusionReason, F2Disposition, Status

from ..factories import ALL_AER_ELEMENTS, MeetingFactory, bring_to, new_situation_kwargs
from .helpers import IN_A_WEEK, TODAY, Refusal, assert_refused, refusals

pytestmark = pytest.mark.django_db


def build_world(cast) -> SimpleNamespace:
    """One object of this table at every stage, for the permission sweep."""
    meeting = MeetingFactory(table=cast.table)
    draft = bring_to(Status.DRAFT, cast=cast)
    presented = bring_to(Status.PRESENTED, cast=cast)
    accepted = bring_to(Status.ACCEPTED, cast=cast)
    intervention = bring_to(Status.INTERVENTION, cast=cast)
    task = services.add_task(
        actor=cast.chair,
        situation=intervention,
        owner_agency=cast.housing,
        description="Offer a shelter bed.",
        due_date=TODAY() + IN_A_WEEK,
    )
    item = services.add_to_agenda(actor=cast.chair, meeting=meeting, situation=presented)
    # A meeting under way (for the pointer) and a closed one (for re-opening).
    now = timezone.now()
    live = MeetingFactory(table=cast.table, started_at=now)
    live_item = services.add_to_agenda(actor=cast.chair, meeting=live, situation=accepted)
    closed = MeetingFactory(table=cast.table, started_at=now, closed_at=now)
    return SimpleNamespace(
        meeting=meeting,
        live=live,
        live_item=live_item,
        closed=closed,
        draft=draft,
        presented=presented,
        accepted=accepted,
        intervention=intervention,
        task=task,
        item=item,
    )


@pytest.fixture
def world(cast):
    """One object of this table at every stage, for the permission sweep."""
    return build_world(cast)


# Each public service, called as ``actor`` on the objects of the world: (cast, world, actor).
EVERY_SERVICE = {
    "create_situation": lambda c, w, a: services.create_situation(
        actor=a, table=c.table, **new_situation_kwargs()
    ),
    "update_situation": lambda c, w, a: services.update_situation(
        actor=a, situation=w.draft, narrative="Adult in their 30s."
    ),
    "attest_filter1": lambda c, w, a: services.attest_filter1(actor=a, situation=w.draft),
    "withdraw_situation": lambda c, w, a: services.withdraw_situation(
        actor=a, situation=w.presented, reason="Not needed."
    ),
    "record_filter2_decision": lambda c, w, a: services.record_filter2_decision(
        actor=a,
        situation=w.presented,
        disposition=F2Disposition.ACCEPTED,
        aer_elements=ALL_AER_ELEMENTS,
    ),
    "record_filter3": lambda c, w, a: services.record_filter3(
        actor=a, situation=w.accepted, agencies=[c.housing]
    ),
    "plan_intervention": lambda c, w, a: services.plan_intervention(
        actor=a, situation=w.intervention, lead_agency=c.housing
    ),
    "add_task": lambda c, w, a: services.add_task(
        actor=a,
        situation=w.intervention,
        owner_agency=c.housing,
        description="Offer a shelter bed.",
        due_date=TODAY() + IN_A_WEEK,
    ),
    "complete_task": lambda c, w, a: services.complete_task(actor=a, task=w.task),
    "record_report_back": lambda c, w, a: services.record_report_back(
        actor=a, situation=w.intervention, note="Update."
    ),
    "conclude_situation": lambda c, w, a: services.conclude_situation(
        actor=a,
        situation=w.intervention,
        reason=ConclusionReason.UNABLE_TO_LOCATE,
        open_tasks="keep",
    ),
    "create_meeting": lambda c, w, a: services.create_meeting(
        actor=a, table=c.table, scheduled_at=timezone.now()
    ),
    "update_meeting": lambda c, w, a: services.update_meeting(
        actor=a, meeting=w.meeting, location="Elsewhere"
    ),
    "add_to_agenda": lambda c, w, a: services.add_to_agenda(
        actor=a, meeting=w.meeting, situation=w.accepted
    ),
    "remove_from_agenda": lambda c, w, a: services.remove_from_agenda(actor=a, item=w.item),
    "fill_agenda": lambda c, w, a: services.fill_agenda(actor=a, meeting=w.meeting),
    "record_attendance": lambda c, w, a: services.record_attendance(
        actor=a, meeting=w.meeting, agency=c.police, present=True
    ),
    "schedule_meeting": lambda c, w, a: services.schedule_meeting(
        actor=a, table=c.table, scheduled_at=timezone.now()
    ),
    "start_meeting": lambda c, w, a: services.start_meeting(actor=a, meeting=w.meeting),
    "close_meeting": lambda c, w, a: services.close_meeting(actor=a, meeting=w.meeting),
    "reopen_meeting": lambda c, w, a: services.reopen_meeting(
        actor=a, meeting=w.closed, reason="Attendance was recorded wrongly."
    ),
    "set_current_item": lambda c, w, a: services.set_current_item(
        actor=a, meeting=w.live, item=w.live_item
    ),
    "check_in": lambda c, w, a: services.check_in(actor=a, meeting=w.meeting),
}


def test_every_service_is_covered_by_the_permission_sweep():
    public = {
        name
        for name in vars(services)
        if not name.startswith("_")
        and callable(getattr(services, name))
        and getattr(getattr(services, name), "__module__", "").startswith(services.__name__)
        and name != "InvalidTransition"
    }
    assert public == set(EVERY_SERVICE)


def called_by(service: str, who: str):
    """A ``call``: ``EVERY_SERVICE[service]`` on the world, as ``cast.<who>``."""

    def call(cast, world):
        EVERY_SERVICE[service](cast, world, getattr(cast, who))

    return call


# No situation of its own (status None): the whole database (``helpers.everything``) must stay
# as it was once the world is built.
SWEEP = [
    Refusal(
        f"{service}-{who}",
        None,
        setup=lambda cast, _: build_world(cast),
        call=called_by(service, who),
        error=PermissionDenied,
    )
    for service in sorted(EVERY_SERVICE)
    for who in ["outsider", "nobody"]
]


@pytest.mark.parametrize("case", refusals(SWEEP))
def test_member_of_another_table_is_denied_every_service(cast, case):
    assert_refused(cast, case)
