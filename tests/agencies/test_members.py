"""Coordinators remove and restore seats; removal takes effect on the very next request."""

import pytest
from django.urls import reverse

from agencies.models import Membership
from core.models import AuditEvent


def seat(user):
    return Membership.objects.get(user=user)


def test_removing_a_seat_cuts_access_at_once(client, coordinator_client, cast):
    client.force_login(cast.rep_police)
    situations = reverse("situation-list", args=[cast.table.pk])
    assert client.get(situations).status_code == 200

    response = coordinator_client.post(
        reverse("membership-deactivate", args=[cast.table.pk, seat(cast.rep_police).pk])
    )
    assert response.status_code == 302
    assert seat(cast.rep_police).is_active is False
    assert client.get(situations).status_code == 404  # same session, next request
    assert b"Northside Test Table" not in client.get(reverse("home")).content

    event = AuditEvent.objects.get(event="membership.deactivated")
    assert event.actor_id == cast.coordinator.pk
    assert event.data == {
        "user_id": cast.rep_police.pk,
        "agency_id": cast.police.pk,
        "grants_removed": 0,
    }


def test_restoring_a_seat_gives_access_back(client, coordinator_client, cast):
    url = reverse("membership-deactivate", args=[cast.table.pk, seat(cast.rep_police).pk])
    coordinator_client.post(url)
    coordinator_client.post(
        reverse("membership-reactivate", args=[cast.table.pk, seat(cast.rep_police).pk])
    )
    client.force_login(cast.rep_police)
    assert client.get(reverse("situation-list", args=[cast.table.pk])).status_code == 200
    assert AuditEvent.objects.filter(event="membership.reactivated").count() == 1


def test_members_page_shows_removed_people_to_the_coordinator(coordinator_client, cast):
    coordinator_client.post(
        reverse("membership-deactivate", args=[cast.table.pk, seat(cast.rep_health).pk])
    )
    body = coordinator_client.get(reverse("table-members", args=[cast.table.pk])).content
    assert b"Restore access" in body
    assert b"Remove access" in body


def test_coordinator_cannot_remove_their_own_seat(coordinator_client, cast):
    response = coordinator_client.post(
        reverse("membership-deactivate", args=[cast.table.pk, seat(cast.coordinator).pk]),
        follow=True,
    )
    assert response.status_code == 200
    assert b"You cannot remove your own seat" in response.content
    assert seat(cast.coordinator).is_active is True
    assert not AuditEvent.objects.filter(event="membership.deactivated").exists()


@pytest.mark.parametrize("who,status", [("chair", 403), ("rep_police", 403), ("privacy", 403)])
def test_only_coordinators_remove_seats(client, cast, who, status):
    client.force_login(getattr(cast, who))
    response = client.post(
        reverse("membership-deactivate", args=[cast.table.pk, seat(cast.rep_housing).pk])
    )
    assert response.status_code == status
    assert seat(cast.rep_housing).is_active is True


def test_a_seat_of_another_table_is_404(coordinator_client, cast):
    response = coordinator_client.post(
        reverse("membership-deactivate", args=[cast.table.pk, seat(cast.outsider).pk])
    )
    assert response.status_code == 404
    assert seat(cast.outsider).is_active is True


def test_deactivate_is_post_only(coordinator_client, cast):
    url = reverse("membership-deactivate", args=[cast.table.pk, seat(cast.rep_police).pk])
    assert coordinator_client.get(url).status_code == 405
    assert seat(cast.rep_police).is_active is True
