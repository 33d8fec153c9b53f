"""Meeting notes are read by every member of the table, so they pass the de-identification guard
(DESIGN §2a), in the browser form and in the API; a refused note writes nothing."""

import pytest
from django.urls import reverse

from cases.models import Meeting
from tests.api.conftest import client_for

LEAKY = "Re Mr. Tremblay at 42 Elm Street, call 613-555-0199"


def test_meeting_form_refuses_identifying_notes_and_writes_nothing(client, cast):
    client.force_login(cast.chair)
    before = Meeting.objects.count()

    response = client.post(
        reverse("meeting-create", args=[cast.table.pk]),
        {"scheduled_at": "2030-03-04T10:00", "kind": "regular", "location": "", "notes": LEAKY},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["notes"]
    assert "This text must be de-identified." in errors[0]
    for leaked in ("Tremblay", "Elm", "613"):
        assert leaked not in errors[0]
    assert Meeting.objects.count() == before


def test_meetings_api_refuses_identifying_notes_with_400_and_writes_nothing(cast):
    api = client_for(cast.chair)
    before = Meeting.objects.count()

    response = api.post(
        f"/api/v1/tables/{cast.table.pk}/meetings/",
        {"scheduled_at": "2030-03-04T10:00:00-05:00", "notes": LEAKY},
        format="json",
    )

    assert response.status_code == 400, response.content[:300]
    assert "Tremblay" not in response.content.decode()
    assert Meeting.objects.count() == before


@pytest.mark.parametrize("notes", ["", "6 new situations, 4 accepted. CMHA and OPP present."])
def test_meetings_api_accepts_deidentified_notes(cast, notes):
    response = client_for(cast.chair).post(
        f"/api/v1/tables/{cast.table.pk}/meetings/",
        {"scheduled_at": "2030-03-04T10:00:00-05:00", "notes": notes},
        format="json",
    )

    assert response.status_code == 201, response.content[:300]


def test_changing_meeting_notes_to_identifying_text_is_refused(cast):
    api = client_for(cast.chair)
    created = api.post(
        f"/api/v1/tables/{cast.table.pk}/meetings/",
        {"scheduled_at": "2030-03-04T10:00:00-05:00", "notes": "Agenda set."},
        format="json",
    ).json()

    response = api.patch(
        f"/api/v1/tables/{cast.table.pk}/meetings/{created['id']}/",
        {"notes": LEAKY},
        format="json",
    )

    assert response.status_code == 400, response.content[:300]
    assert Meeting.objects.get(pk=created["id"]).notes == "Agenda set."
