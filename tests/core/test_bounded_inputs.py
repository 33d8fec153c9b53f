"""Bounded inputs: NUL bytes, absurdly nested JSON and oversized lists are a clear 400 (JSON
under /api/), never a 500, and write nothing."""

import json
import time

import pytest
from rest_framework.test import APIClient

from agencies.api.tokens import create_token
from cases.models import Situation
from core.middleware import MAX_JSON_DEPTH, json_depth_exceeds


@pytest.fixture
def api(cast):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {create_token(user=cast.rep_police, scope='write')[1]}"
    )
    return client


def situation_data(**change):
    return {
        "subject_type": "individual",
        "age_group": "18-24",
        "gender": "male",
        "narrative": "Adult in their 20s, several police calls this month.",
        "risk_factors": ["drugs.person"],
        **change,
    }


def test_nul_in_the_situation_search_is_a_400_page(client, cast):
    client.force_login(cast.chair)
    response = client.get(f"/tables/{cast.table.pk}/situations/?q=%00")
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()


def test_nul_in_an_api_query_is_a_json_400(api, cast):
    response = api.get(f"/api/v1/tables/{cast.table.pk}/situations/?q=a%00b")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_nul_in_a_form_is_a_400_and_saves_nothing(client, cast):
    client.force_login(cast.rep_police)
    before = Situation.objects.count()
    response = client.post(
        f"/tables/{cast.table.pk}/situations/new/",
        "narrative=a%00b&age_group=18-24",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert Situation.objects.count() == before


def test_deeply_nested_json_is_a_json_400_and_saves_nothing(api, cast):
    before = Situation.objects.count()
    body = '{"a":' * 5000 + "1" + "}" * 5000
    response = api.generic(
        "POST", f"/api/v1/tables/{cast.table.pk}/situations/", body, "application/json"
    )
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "bad_request" and payload["errors"] == {}
    assert str(MAX_JSON_DEPTH) in payload["detail"]
    assert Situation.objects.count() == before


def test_ordinary_nesting_is_accepted_by_the_depth_check():
    document = json.dumps({"a": [{"b": [1, 2, {"c": "[[[[{{{{"}]}]}).encode()
    assert not json_depth_exceeds(document, MAX_JSON_DEPTH)
    assert json_depth_exceeds(b"[" * (MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)


def test_a_20000_item_risk_factor_list_is_refused_quickly(api, cast):
    before = Situation.objects.count()
    started = time.monotonic()
    response = api.post(
        f"/api/v1/tables/{cast.table.pk}/situations/",
        situation_data(risk_factors=["drugs.person"] * 20_000),
        format="json",
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "risk_factors" in response.json()["errors"]
    assert elapsed < 5, elapsed  # was 9 s (one query per code) before the bound
    assert Situation.objects.count() == before


def test_a_5000_item_agency_list_is_refused_before_one_query_per_id(
    cast, django_assert_max_num_queries
):
    from cases.models import Status
    from tests.cases.factories import bring_to

    situation = bring_to(Status.ACCEPTED, cast=cast)
    chair = APIClient()
    chair.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=cast.chair, scope='write')[1]}")
    base = f"/api/v1/tables/{cast.table.pk}/situations/{situation.pk}"
    many = [cast.housing.pk] * 5000

    with django_assert_max_num_queries(30):
        f3 = chair.post(f"{base}/f3/", {"agencies": many}, format="json")
    with django_assert_max_num_queries(30):
        disclosure = chair.post(
            f"{base}/disclosures/",
            {"agencies": many, "fields": ["given_name"], "basis": "consent"},
            format="json",
        )

    for response in (f3, disclosure):
        assert response.status_code == 400
        assert "agencies" in response.json()["errors"]
    situation.refresh_from_db()
    assert not situation.f3_agencies.exists()
