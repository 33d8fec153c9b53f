"""Notifications (the user's own only), statistics and exports over the API, and what the reveal
endpoint promises beyond its body."""

import pytest
from django.utils import timezone

from consent.models import AccessEvent
from core.models import AuditEvent
from notifications.models import Notification
from tests.api.conftest import client_for


@pytest.fixture
def notification(world):
    return Notification.objects.create(
        kind="task_overdue",
        object_id=world.task.pk,
        slot="2026-01-01",
        recipient=world.cast.rep_housing,
        table=world.cast.table,
        data={"number": world.intervention.number, "due": "2026-01-01"},
        due_at=timezone.now(),
    )


def test_own_notification_is_listed_read_and_marked(world, notification):
    client = client_for(world.cast.rep_housing)
    listed = client.get("/api/v1/notifications/?unread=true").json()
    assert [n["id"] for n in listed["results"]] == [notification.pk]
    assert world.intervention.number in listed["results"][0]["title"]
    response = client.post(f"/api/v1/notifications/{notification.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 0}


def test_someone_elses_notification_is_404(world, notification):
    client = client_for(world.cast.rep_health)
    assert client.get(f"/api/v1/notifications/{notification.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{notification.pk}/read/").status_code == 404
    assert client.get("/api/v1/notifications/").json()["count"] == 0
    notification.refresh_from_db()
    assert notification.read_at is None


def test_statistics_match_the_seeded_table(world):
    client = client_for(world.cast.coordinator)
    stats = client.get(f"/api/v1/tables/{world.cast.table.pk}/statistics/").json()
    # accepted, intervention and concluded were accepted at Filter 2; draft and presented not yet.
    assert stats["discussed"] == 3 and stats["accepted"] == 3
    assert stats["concluded"] == 1


def test_rtd_export_pages_and_speaks_codes_or_labels(world):
    client = client_for(world.cast.chair)
    base = f"/api/v1/tables/{world.cast.table.pk}/exports/rtd/"
    page = client.get(base, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    numbers = {row["situation_id"] for row in page["results"]}
    numbers |= {row["situation_id"] for row in client.get(page["next"]).json()["results"]}
    assert numbers == {world.accepted.number, world.intervention.number, world.concluded.number}
    labels = client.get(base, {"values": "labels"}).json()["results"]
    assert {row["status"] for row in labels} >= {"Concluded"}
    assert client.get(base, {"values": "pictures"}).status_code == 400


def test_meeting_summary_lists_the_agenda_without_identifying_information(world):
    client = client_for(world.cast.coordinator)
    url = f"/api/v1/tables/{world.cast.table.pk}/exports/meetings/{world.meeting.pk}/summary/"
    summary = client.get(url).json()
    assert [item["number"] for item in summary["items"]] == [world.presented.number]
    assert "Castellanos" not in str(summary)


def test_reveal_is_logged_audited_and_not_cached(world):
    client = client_for(world.cast.rep_housing)
    url = (
        f"/api/v1/tables/{world.cast.table.pk}/situations/{world.intervention.pk}"
        "/identifying-info/reveal/"
    )
    before = AuditEvent.objects.filter(event="identifying_info.viewed").count()
    response = client.post(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.json()["people"][0]["fields"]["family_name"] == "Castellanos"
    assert AccessEvent.objects.filter(user=world.cast.rep_housing).count() == 1
    assert AuditEvent.objects.filter(event="identifying_info.viewed").count() == before + 1


def test_refused_reveal_is_not_logged(world):
    client = client_for(world.cast.rep_health)
    url = (
        f"/api/v1/tables/{world.cast.table.pk}/situations/{world.intervention.pk}"
        "/identifying-info/reveal/"
    )
    assert client.post(url).status_code == 403
    assert not AccessEvent.objects.exists()


def test_conclusion_through_the_api_ends_the_disclosed_agencys_access(world):
    chair, housing = client_for(world.cast.chair), client_for(world.cast.rep_housing)
    base = f"/api/v1/tables/{world.cast.table.pk}/situations/{world.intervention.pk}"
    assert housing.post(f"{base}/identifying-info/reveal/").status_code == 200
    # Safe conclusion: no report back, an open task — both must be said, else 400.
    refused = chair.post(f"{base}/conclude/", {"reason": "risk_lowered"}, "json")
    assert refused.status_code == 400 and {"reason", "open_tasks"} & set(refused.json()["errors"])
    response = chair.post(
        f"{base}/conclude/", {"reason": "unable_to_locate", "open_tasks": "keep"}, "json"
    )
    assert response.status_code == 200 and response.json()["status"] == "concluded"
    assert housing.post(f"{base}/identifying-info/reveal/").status_code == 403
    disclosures = housing.get(f"{base}/disclosures/").json()["results"]
    assert disclosures[0]["revoked_at"] is not None
