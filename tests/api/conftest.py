"""A seeded table for the API tests: situations at every stage, identifying information disclosed
to one agency (housing) and not to another (health), a meeting with an agenda, a task, consent.

The fictional person's names are written into every free-text place that might leak: the
identifying information itself, the disclosure's justification, a consent withdrawal note.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Status
from consent import services as consent_services
from tests.cases.factories import MeetingFactory, bring_to
from tests.conftest import cast as cast_fixture

GIVEN, FAMILY = "Jordan", "Castellanos"
PERSON = {
    "given_name": GIVEN,
    "family_name": FAMILY,
    "date_of_birth": datetime.date(2009, 3, 14),
    "address": "18 Birchwood Crescent",
    "phone": "705-555-0142",
}
SEEDED_VALUES = [GIVEN, FAMILY, "Birchwood", "705-555-0142", "2009-03-14"]
FIELDS = ["given_name", "family_name", "date_of_birth", "address"]
ALL_AER = {
    "aer_significant_interest": True,
    "aer_probability_of_harm": True,
    "aer_severity_of_harm": True,
    "aer_multi_sector": True,
}


@dataclass
class World:
    cast: object
    draft: object
    presented: object
    accepted: object  # identifying info recorded by police, disclosed to housing only
    intervention: object  # lead agency: police; a task owned by housing
    concluded: object
    meeting: object
    agenda_item: object
    live_meeting: object  # started: its current item can move
    live_item: object
    closed_meeting: object
    task: object
    consent: object
    disclosure: object


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """Built once per test module inside a transaction that is rolled back at the end; each test
    runs in a savepoint inside it (pytest-django's ``db``), so tests still cannot see each other's
    writes. Tests that use ``world`` must take people from ``world.cast``, not ``cast``."""
    with django_db_blocker.unblock(), transaction.atomic():
        # The shared cast fixture, built at module scope (its body does not use ``db``).
        yield build_world(cast_fixture.__wrapped__(None))
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world, db):
    return _module_world


def build_world(cast) -> World:
    chair = cast.chair
    draft = bring_to(Status.DRAFT, cast=cast)
    presented = bring_to(Status.PRESENTED, cast=cast)
    accepted = bring_to(Status.ACCEPTED, cast=cast)
    intervention = bring_to(Status.INTERVENTION, cast=cast)
    concluded = bring_to(Status.CONCLUDED, cast=cast)
    case_services.plan_intervention(actor=chair, situation=intervention, lead_agency=cast.police)
    task = case_services.add_task(
        actor=chair,
        situation=intervention,
        owner_agency=cast.housing,
        description="Door knock with housing outreach worker",
        due_date=timezone.localdate() + datetime.timedelta(days=2),
    )
    meeting = MeetingFactory(table=cast.table)
    agenda_item = case_services.add_to_agenda(actor=chair, meeting=meeting, situation=presented)
    live_meeting = MeetingFactory(table=cast.table, started_at=timezone.now())
    live_item = case_services.add_to_agenda(actor=chair, meeting=live_meeting, situation=presented)
    closed_meeting = MeetingFactory(
        table=cast.table, started_at=timezone.now(), closed_at=timezone.now()
    )

    consent_services.record_identifying_info(actor=cast.rep_police, situation=accepted, **PERSON)
    consent_services.record_identifying_info(
        actor=cast.rep_police, situation=intervention, **PERSON
    )
    # Filter 3 is one act: the disclosure goes to an agency named at F3 (housing, by bring_to).
    consent = consent_services.record_consent(
        actor=cast.rep_police,
        situation=intervention,
        kind="disclosure",
        given_by="subject",
        method="verbal",
        given_on=timezone.localdate(),
    )
    old_consent = consent_services.record_consent(
        actor=cast.rep_police,
        situation=intervention,
        kind="services",
        given_by="subject",
        method="written",
        given_on=timezone.localdate(),
    )
    consent_services.withdraw_consent(
        actor=cast.rep_police, consent=old_consent, note=f"{GIVEN} asked to stop"
    )
    disclosure = consent_services.disclose_identifying_info(
        actor=chair,
        situation=intervention,
        agencies=[cast.housing],
        fields=FIELDS,
        basis="imminent_risk",
        justification=f"{GIVEN} {FAMILY} was missing twice this week with violence at home.",
    )
    return World(
        cast=cast,
        draft=draft,
        presented=presented,
        accepted=accepted,
        intervention=intervention,
        concluded=concluded,
        meeting=meeting,
        agenda_item=agenda_item,
        live_meeting=live_meeting,
        live_item=live_item,
        closed_meeting=closed_meeting,
        task=task,
        consent=consent,
        disclosure=disclosure,
    )


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client
