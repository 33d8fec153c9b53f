"""Degrade, never 500: a database outage is a 503 with Retry-After (a bilingual page saying the
last action was not saved, JSON under /api/); the API's rate limit fails open when Redis is down."""

import html

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.api.tokens import create_token

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=user, scope='write')[1]}")
    return client


@pytest.fixture
def signed_in(transactional_db):  # tests using it carry django_db(transaction=True)
    from agencies.models import Role
    from tests.conftest import accept_current_agreements
    from tests.factories import AgencyFactory, MembershipFactory, TableFactory, UserFactory

    table = TableFactory()
    agency = AgencyFactory()
    table.agencies.add(agency)
    user = MembershipFactory(user=UserFactory(), table=table, agency=agency, role=Role.CHAIR).user
    accept_current_agreements(user)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    api = token_client(user)
    api.raise_request_exception = False
    return client, api, table


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_with_retry_after_while_the_database_is_down(signed_in, database_down):
    client, _api, table = signed_in
    for url in ["/", f"/tables/{table.pk}/", f"/tables/{table.pk}/situations/"]:
        response = client.get(url)
        assert response.status_code == 503, url
        assert int(response["Retry-After"]) > 0
        page = html.unescape(response.content.decode())
        assert "Your last action was not saved" in page
        assert "Votre dernière action n'a pas été enregistrée" in page
        assert 'href="/"' in page


@pytest.mark.django_db(transaction=True)
def test_a_form_posted_during_an_outage_is_a_503_not_a_500(signed_in, database_down):
    client, _api, table = signed_in
    response = client.post(reverse("meeting-create", args=[table.pk]), {"location": "Room 4"})
    assert response.status_code == 503
    assert "not saved" in html.unescape(response.content.decode())


@pytest.mark.django_db(transaction=True)
def test_api_answers_json_503_while_the_database_is_down(signed_in, database_down):
    _client, api, table = signed_in
    response = api.get(f"/api/v1/tables/{table.pk}/situations/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_the_outage(signed_in, database_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_token_requests_still_work_when_the_rate_limit_cache_is_down(cast, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.API_RATE_LIMIT = "1000/hour"
    client = token_client(cast.chair)
    statuses = [client.get(f"/api/v1/tables/{cast.table.pk}/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
