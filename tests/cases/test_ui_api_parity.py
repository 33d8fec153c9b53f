"""UI and API cannot disagree: the same inputs through the browser form and through the API
reach the same service and give the same outcome (issue 14, part 6)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.api.tokens import create_token
from cases.models import Meeting, Status, Task
from tests.cases.factories import bring_to


@pytest.fixture
def api(cast):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {create_token(user=cast.coordinator, scope='write')[1]}"
    )
    return client


def agenda(meeting):
    return list(meeting.agenda_items.order_by("position").values_list("situation_id", flat=True))


def test_a_meeting_scheduled_either_way_fills_the_same_agenda(client, api, cast):
    returning = bring_to(Status.INTERVENTION, cast=cast)
    new = [bring_to(Status.PRESENTED, cast=cast) for _ in range(2)]
    when = (timezone.localtime() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    client.force_login(cast.coordinator)

    ui = client.post(
        reverse("meeting-create", args=[cast.table.pk]),
        {"scheduled_at": when.strftime("%Y-%m-%dT%H:%M"), "kind": "regular"},
    )
    by_api = api.post(
        f"/api/v1/tables/{cast.table.pk}/meetings/",
        {"scheduled_at": when.isoformat(), "kind": "regular"},
        format="json",
    )

    assert ui.status_code == 302 and by_api.status_code == 201
    ui_meeting, api_meeting = Meeting.objects.filter(table=cast.table).order_by("pk")
    assert agenda(ui_meeting) == agenda(api_meeting) == [returning.pk, *[s.pk for s in new]]
    assert ui_meeting.scheduled_at == api_meeting.scheduled_at


@pytest.mark.parametrize("when", ["1999-12-31T10:00", "2100-01-01T10:00", "0001-01-01T00:00"])
def test_implausible_meeting_dates_are_refused_the_same_way(client, api, cast, when):
    message = "Give a meeting date between 2000 and five years from now."
    client.force_login(cast.coordinator)
    ui = client.post(
        reverse("meeting-create", args=[cast.table.pk]), {"scheduled_at": when, "kind": "regular"}
    )
    by_api = api.post(
        f"/api/v1/tables/{cast.table.pk}/meetings/", {"scheduled_at": when}, format="json"
    )

    assert ui.status_code == 200 and message in ui.content.decode()
    assert by_api.status_code == 400 and message in str(by_api.json()["errors"])
    assert not Meeting.objects.filter(table=cast.table).exists()


def test_a_task_due_in_9999_is_refused_by_the_form_and_the_api(client, cast):
    from cases import services

    situation = bring_to(Status.INTERVENTION, cast=cast)
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    item = services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=situation)
    client.force_login(cast.chair)
    ui = client.post(
        reverse("meeting-action", args=[cast.table.pk, meeting.pk, item.pk, "task"]),
        {
            "task-owner_agency": cast.police.pk,
            "task-description": "Visit",
            "task-due_date": "9999-12-31",
        },
        HTTP_HX_REQUEST="true",
    )
    chair_api = APIClient()
    chair_api.credentials(
        HTTP_AUTHORIZATION=f"Token {create_token(user=cast.chair, scope='write')[1]}"
    )
    by_api = chair_api.post(
        f"/api/v1/tables/{cast.table.pk}/tasks/",
        {
            "situation": situation.pk,
            "owner_agency": cast.police.pk,
            "description": "Visit",
            "due_date": "9999-12-31",
        },
        format="json",
    )

    assert by_api.status_code == 400
    [api_message] = by_api.json()["errors"]["due_date"]
    assert api_message in ui.content.decode()  # the same words, from the same service
    assert not Task.objects.filter(situation=situation).exists()
