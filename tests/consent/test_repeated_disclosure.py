"""An identical unrevoked disclosure within minutes is refused: one act, one record."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.api.tokens import create_token
from consent import services
from consent.models import Disclosure
from core.exceptions import InvalidTransition
from core.models import AuditEvent
from tests.cases.test_concurrency import run_together
from tests.consent.test_access_ground import FIELDS, PERSON, disclose, named_at_filter3


@pytest.fixture
def accepted(cast):
    situation = named_at_filter3(cast)
    services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)
    return situation


def test_the_same_disclosure_twice_is_refused_with_a_clear_message(cast, accepted):
    disclose(cast, accepted, [cast.housing])
    events = AuditEvent.objects.filter(event="disclosure.created").count()

    with pytest.raises(InvalidTransition) as exc:
        disclose(cast, accepted, [cast.housing])

    assert "already recorded" in exc.value.message
    assert Disclosure.objects.filter(situation=accepted).count() == 1
    assert AuditEvent.objects.filter(event="disclosure.created").count() == events


def test_a_different_disclosure_is_not_a_repeat(cast, accepted):
    disclose(cast, accepted, [cast.housing])
    disclose(cast, accepted, [cast.housing, cast.health])  # another agency: a new act
    services.disclose_identifying_info(
        actor=cast.chair,
        situation=accepted,
        agencies=[cast.housing],
        fields=[*FIELDS, "date_of_birth"],  # more identifiers: a new act
        basis="imminent_risk",
        justification="Youth missing twice this week with violence at home.",
    )
    assert Disclosure.objects.filter(situation=accepted).count() == 3


def test_after_revocation_or_after_the_window_the_same_disclosure_may_be_recorded(cast, accepted):
    first = disclose(cast, accepted, [cast.housing])
    services.revoke_disclosure(actor=cast.chair, disclosure=first, reason="Sent before the vote.")
    disclose(cast, accepted, [cast.housing])  # the earlier one is revoked: allowed
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        disclose(cast, accepted, [cast.housing])
    assert Disclosure.objects.filter(situation=accepted).count() == 3


def test_the_api_answers_409_for_a_repeat(cast, accepted):
    api = APIClient()
    _token, key = create_token(user=cast.chair, scope="write")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/tables/{cast.table.pk}/situations/{accepted.pk}/disclosures/"
    body = {
        "agencies": [cast.housing.pk],
        "fields": FIELDS,
        "basis": "imminent_risk",
        "justification": "Youth missing twice this week with violence at home.",
    }
    assert api.post(url, body, format="json").status_code == 201

    repeat = api.post(url, body, format="json")

    assert repeat.status_code == 409
    assert repeat.json()["code"] == "invalid_transition"
    assert "already recorded" in repeat.json()["detail"]
    assert Disclosure.objects.filter(situation=accepted).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs row locks (PostgreSQL)")
def test_twenty_parallel_identical_disclosures_record_one(cast):
    situation = named_at_filter3(cast)
    services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)

    outcomes = run_together(*[lambda: disclose(cast, situation, [cast.housing])] * 20)

    assert sum(1 for kind, _ in outcomes if kind == "ok") == 1
    assert all(isinstance(err, InvalidTransition) for kind, err in outcomes if kind == "error")
    assert Disclosure.objects.filter(situation=situation).count() == 1
    assert AuditEvent.objects.filter(event="disclosure.created").count() == 1
