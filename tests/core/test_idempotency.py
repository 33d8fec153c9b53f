"""API POSTs with an Idempotency-Key: a retry gets the first answer and creates nothing new."""

import pytest
from rest_framework.test import APIClient

from agencies.api.tokens import create_token
from cases.models import Situation
from core.models import IdempotencyKey


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=user, scope='write')[1]}")
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


@pytest.fixture
def api(cast):
    return token_client(cast.rep_police)


def post(client, cast, data, key):
    return client.post(
        f"/api/v1/tables/{cast.table.pk}/situations/", data, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retried_create_replays_the_first_answer_and_creates_one_situation(api, cast):
    before = Situation.objects.count()
    first = post(api, cast, situation_data(), "intake-7f3a")
    second = post(api, cast, situation_data(), "intake-7f3a")
    assert first.status_code == 201
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Situation.objects.count() == before + 1


def test_without_a_key_two_posts_are_two_creates(api, cast):
    before = Situation.objects.count()
    assert (
        api.post(
            f"/api/v1/tables/{cast.table.pk}/situations/", situation_data(), format="json"
        ).status_code
        == 201
    )
    assert (
        api.post(
            f"/api/v1/tables/{cast.table.pk}/situations/", situation_data(), format="json"
        ).status_code
        == 201
    )
    assert Situation.objects.count() == before + 2


def test_the_same_key_for_a_different_request_is_422(api, cast):
    assert post(api, cast, situation_data(), "k-1").status_code == 201
    response = post(api, cast, situation_data(gender="female"), "k-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_key_still_running_is_409(api, cast):
    scope_response = post(api, cast, situation_data(), "k-2")
    assert scope_response.status_code == 201
    record = IdempotencyKey.objects.get(key="k-2")
    IdempotencyKey.objects.filter(pk=record.pk).update(status=None)  # as while the first runs
    response = post(api, cast, situation_data(), "k-2")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"


def test_keys_are_scoped_to_the_credential(cast):
    first = post(token_client(cast.rep_police), cast, situation_data(), "shared-key")
    other = post(token_client(cast.rep_police), cast, situation_data(), "shared-key")
    assert first.status_code == other.status_code == 201
    assert first.json()["id"] != other.json()["id"]


def test_a_refused_request_is_replayed_as_refused_and_writes_nothing(api, cast):
    before = Situation.objects.count()
    first = post(api, cast, situation_data(age_group="ancient"), "k-3")
    second = post(api, cast, situation_data(age_group="ancient"), "k-3")
    assert first.status_code == second.status_code == 400
    assert Situation.objects.count() == before


def test_an_overlong_key_is_400(api, cast):
    response = post(api, cast, situation_data(), "x" * 300)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
