"""People get a styled page in English and French with a way back; programs under /api/ get the
API's JSON shape, whatever the status."""

import html
import json

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.api.tokens import create_token
from core import errors


def assert_bilingual_page(response, status, english, french):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = html.unescape(response.content.decode())
    assert english in page and french in page
    assert 'href="/"' in page  # a way back to the start
    assert "app.css" in page  # the site's own styles, not Django's bare page
    return page


def assert_api_error(response, status, code):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


def test_unknown_page_is_a_bilingual_404_with_a_way_back(client, cast):
    client.force_login(cast.chair)
    assert_bilingual_page(client.get("/no-such-page/"), 404, "Page not found", "Page introuvable")


def test_404_page_links_back_to_the_page_the_visitor_came_from(client, cast):
    client.force_login(cast.chair)
    came_from = f"http://testserver/tables/{cast.table.pk}/"
    page = assert_bilingual_page(
        client.get("/no-such-page/", HTTP_REFERER=came_from), 404, "Go back", "Revenir"
    )
    assert f'href="{came_from}"' in page


def test_404_page_never_links_back_to_another_site(client, cast):
    client.force_login(cast.chair)
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")
    assert "evil.example" not in html.unescape(response.content.decode())


def test_forbidden_action_is_a_bilingual_403(client, cast):
    client.force_login(cast.rep_housing)
    response = client.get(reverse("meeting-create", args=[cast.table.pk]))
    assert_bilingual_page(
        response, 403, "You do not have access to this page", "Vous n'avez pas accès"
    )


def test_expired_form_is_a_bilingual_csrf_page_and_saves_nothing(cast):
    from cases.models import Meeting

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.chair)
    before = Meeting.objects.count()
    response = client.post(reverse("meeting-create", args=[cast.table.pk]), {"location": "x"})
    assert_bilingual_page(response, 403, "This form has expired", "Ce formulaire a expiré")
    assert Meeting.objects.count() == before


def test_bad_host_is_a_bilingual_400(client, db):
    response = client.get("/", HTTP_HOST="evil.example")
    assert_bilingual_page(response, 400, "could not be understood", "n'a pas pu être comprise")


def test_server_error_page_is_bilingual_and_never_shows_the_exception(db):
    request = RequestFactory().get("/tables/1/")
    try:
        raise ValueError("Castellanos 1984-03-02")
    except ValueError:
        response = errors.server_error(request)
    page = assert_bilingual_page(
        response, 500, "Something went wrong on our side", "Une erreur s'est produite"
    )
    assert "Castellanos" not in page


def test_too_many_requests_page_is_bilingual(db):
    response = errors.too_many_requests(RequestFactory().get("/"))
    assert_bilingual_page(response, 429, "Too many requests", "Trop de demandes")


# --- The API's JSON shape for every status -----------------------------------------------------


def test_api_unknown_address_is_json_404(db):
    assert_api_error(APIClient().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_api_bad_host_is_json_400(db):
    response = APIClient().get("/api/v1/tables/", HTTP_HOST="evil.example")
    assert_api_error(response, 400, "bad_request")


def test_api_without_credentials_is_json_401(db):
    assert_api_error(APIClient().get("/api/v1/tables/"), 401, "not_authenticated")


def test_api_wrong_method_is_json_405(cast):
    client = APIClient()
    token = create_token(user=cast.chair, scope="write")[1]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert_api_error(client.delete("/api/v1/tables/"), 405, "method_not_allowed")


def test_api_session_post_without_csrf_token_is_json_403(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.rep_police)
    response = client.post(f"/api/v1/tables/{cast.table.pk}/situations/", {}, format="json")
    assert_api_error(response, 403, "permission_denied")


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        (errors.permission_denied, 403, "permission_denied"),
        (errors.too_many_requests, 429, "throttled"),
        (errors.csrf_failure, 403, "csrf_failed"),
    ],
)
def test_api_error_handlers_answer_json(db, handler, status, code):
    assert_api_error(handler(RequestFactory().get("/api/v1/tables/")), status, code)


def test_api_server_error_is_json_500(db):
    request = RequestFactory().get("/api/v1/tables/")
    try:
        raise ValueError("boom")
    except ValueError:
        response = errors.server_error(request)
    body = assert_api_error(response, 500, "server_error")
    assert "boom" not in body["detail"]
