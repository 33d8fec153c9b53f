"""Dates within plausible ranges, enforced in the services (so UI, API and commands agree)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services
from cases.models import Meeting, Status, Task

from .factories import MeetingFactory, bring_to


def aware(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 9, 0))


@pytest.mark.parametrize(
    "when", [datetime.datetime(1, 1, 1, 9, 0), datetime.datetime(9999, 12, 31, 9, 0)]
)
def test_a_meeting_dated_absurdly_is_refused(cast, when):
    before = Meeting.objects.count()
    with pytest.raises(ValidationError) as error:
        services.create_meeting(
            actor=cast.coordinator,
            table=cast.table,
            scheduled_at=timezone.make_aware(when, datetime.UTC),
        )
    assert "scheduled_at" in error.value.message_dict
    assert Meeting.objects.count() == before


def test_a_meeting_next_month_is_accepted(cast):
    meeting = services.create_meeting(
        actor=cast.coordinator,
        table=cast.table,
        scheduled_at=timezone.now() + datetime.timedelta(days=30),
    )
    assert meeting.pk


def test_moving_a_meeting_to_year_one_is_refused(cast):
    meeting = MeetingFactory(table=cast.table)
    with pytest.raises(ValidationError):
        services.update_meeting(
            actor=cast.coordinator, meeting=meeting, scheduled_at=aware(1, 1, 1)
        )


def test_a_task_due_in_9999_is_refused(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = Task.objects.count()
    with pytest.raises(ValidationError) as error:
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=cast.police,
            description="Door knock with housing.",
            due_date=datetime.date(9999, 12, 31),
        )
    assert "due_date" in error.value.message_dict
    assert Task.objects.count() == before


def test_api_meeting_in_year_one_is_a_json_400(cast):
    client = APIClient()
    client.force_authenticate(cast.coordinator)
    response = client.post(
        f"/api/v1/tables/{cast.table.pk}/meetings/",
        {"scheduled_at": "0001-01-01T09:00:00Z", "kind": "regular"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "scheduled_at" in response.json()["errors"]
