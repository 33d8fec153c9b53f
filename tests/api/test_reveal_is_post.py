"""Issue 15, part 6 (API): revealing identifying information is a POST, with the CSRF check for
browser sessions; a GET (a cross-site link, an image) reveals nothing and logs nothing."""

from django.urls import reverse
from rest_framework.test import APIClient

from consent.models import AccessEvent
from tests.api.conftest import client_for


def reveal_url(world, situation=None):
    situation = situation or world.intervention
    return (
        f"/api/v1/tables/{world.cast.table.pk}/situations/{situation.pk}/identifying-info/reveal/"
    )


def test_api_reveal_by_get_is_refused_and_not_logged(world):
    client = client_for(world.cast.rep_housing)
    old = (
        f"/api/v1/tables/{world.cast.table.pk}/situations/{world.intervention.pk}/identifying-info/"
    )
    assert client.get(old).status_code == 405
    assert client.get(reveal_url(world)).status_code == 405
    assert not AccessEvent.objects.exists()


def test_api_reveal_from_a_browser_session_needs_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.cast.rep_housing)
    refused = client.post(reveal_url(world))
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not AccessEvent.objects.exists()

    client.get(reverse("home"))  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post(reveal_url(world), HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200
    assert allowed.json()["people"][0]["fields"]["family_name"] == "Castellanos"
    assert AccessEvent.objects.filter(user=world.cast.rep_housing).count() == 1


def test_browser_reveal_is_post_only(client, world):
    client.force_login(world.cast.rep_housing)
    url = reverse("person-reveal", args=[world.cast.table.pk, world.intervention.pk])
    assert client.get(url).status_code == 405
    assert not AccessEvent.objects.exists()


def test_api_answers_to_a_signed_in_person_are_no_store(world):
    response = client_for(world.cast.chair).get(f"/api/v1/tables/{world.cast.table.pk}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
