"""No API response carries identifying information to someone who may not see it.

Every GET operation of the OpenAPI schema is called (for every seeded situation, meeting, task…)
by people whose agency was never given a Filter 3 disclosure; none of the seeded person's values
may appear. The same walk as the disclosed agency's representative must find them, on the one
endpoint meant for it — so this test fails if the seeding or the walk stops reaching the data.
"""

import itertools

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from consent.models import AccessEvent
from notifications.models import Notification
from tests.api.conftest import FAMILY, GIVEN, SEEDED_VALUES, client_for


def get_paths(world, user) -> list[str]:
    """Every GET path of the schema, with each path variable filled by every seeded object."""
    notification = Notification.objects.create(
        kind="task_overdue",
        object_id=world.task.pk,
        slot="2026-01-01",
        recipient=user,
        table=world.cast.table,
        data={"number": world.intervention.number, "due": "2026-01-01"},
        due_at=timezone.now(),
    )
    situations = [world.draft, world.presented, world.accepted, world.intervention]
    values = {
        "table_id": [world.cast.table.pk],
        "situation_id": [s.pk for s in [*situations, world.concluded]],
        "meeting_id": [world.meeting.pk],
        "task_id": [world.task.pk],
        "agency_id": [world.cast.police.pk, world.cast.housing.pk, world.cast.health.pk],
        "consent_id": [world.consent.pk],
        "notification_id": [notification.pk],
    }
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = []
    for template, item in schema["paths"].items():
        if "get" not in item:
            continue
        names = [p["name"] for p in item["get"].get("parameters", []) if p["in"] == "path"]
        for combination in itertools.product(*(values[name] for name in names)):
            paths.append(template.format(**dict(zip(names, combination, strict=True))))
    return paths


REVEAL = "/api/v1/tables/{table_id}/situations/{situation_id}/identifying-info/reveal/"


def reveal_paths(world) -> list[str]:
    """The reveal is a POST (with no body): the walk asks it for every seeded situation too."""
    situations = [world.draft, world.presented, world.accepted, world.intervention, world.concluded]
    return [REVEAL.format(table_id=world.cast.table.pk, situation_id=s.pk) for s in situations]


def walk(world, user) -> dict[str, str]:
    client = client_for(user)
    bodies = {}
    for path in get_paths(world, user):
        response = client.get(path)
        assert response.status_code < 500, path
        bodies[path] = response.content.decode()
    for path in reveal_paths(world):
        response = client.post(path)
        assert response.status_code < 500, path
        bodies[path] = response.content.decode()
    return bodies


@pytest.mark.parametrize("who", ["rep_health", "chair", "coordinator", "outsider"])
def test_people_without_a_disclosure_never_receive_a_seeded_name(world, who):
    bodies = walk(world, getattr(world.cast, who))
    assert len(bodies) > 30
    leaks = {
        path: value for path, body in bodies.items() for value in SEEDED_VALUES if value in body
    }
    assert leaks == {}
    assert not AccessEvent.objects.exists()  # nothing was revealed, so nothing was logged


def test_the_disclosed_agency_receives_the_names_only_where_meant_to(world):
    bodies = walk(world, world.cast.rep_housing)
    with_names = {path for path, body in bodies.items() if FAMILY in body or GIVEN in body}
    reveal = (
        f"/api/v1/tables/{world.cast.table.pk}/situations/{world.intervention.pk}"
        "/identifying-info/reveal/"
    )
    assert with_names == {reveal}
    assert "705-555-0142" not in bodies[reveal]  # the phone number was not disclosed
    # Each reveal is logged, like the browser's.
    event = AccessEvent.objects.get()
    assert (event.user, event.agency, event.situation) == (
        world.cast.rep_housing,
        world.cast.housing,
        world.intervention,
    )


def test_the_originating_agency_sees_what_it_entered(world):
    bodies = walk(world, world.cast.rep_police)
    base = f"/api/v1/tables/{world.cast.table.pk}/situations"
    with_names = {path for path, body in bodies.items() if FAMILY in body}
    assert with_names == {
        f"{base}/{world.accepted.pk}/identifying-info/reveal/",
        f"{base}/{world.intervention.pk}/identifying-info/reveal/",
    }
