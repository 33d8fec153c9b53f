"""Errors are JSON with a clear message: 400 bad input, 403/404 permission, 409 wrong state.
Malformed ids, wrong types, huge numbers, unknown choices and non-JSON bodies never give a 500,
and a refused request writes nothing."""

import pytest

from cases.models import Situation, StatusChange
from tests.api.conftest import ALL_AER, client_for


@pytest.fixture
def chair(world):
    return client_for(world.cast.chair)


def url(world, rest=""):
    return f"/api/v1/tables/{world.cast.table.pk}/{rest}"


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if code:
        assert body["code"] == code
    return body


# --- 400 -----------------------------------------------------------------------------------------


def test_missing_fields_name_each_field(world):
    client = client_for(world.cast.rep_police)
    body = assert_error(client.post(url(world, "situations/"), {}, format="json"), 400, "invalid")
    assert {"subject_type", "age_group", "gender", "narrative", "risk_factors"} <= set(
        body["errors"]
    )


@pytest.mark.parametrize(
    "change",
    [
        {"age_group": "ancient"},
        {"gender": 12},
        {"risk_factors": "drugs.person"},
        {"risk_factors": ["no-such-factor"]},
        {"risk_factors": []},
        {"risk_factors": ["drugs.person\x00"]},
        {"study_flags": [None, {"a": 1}]},
        {"affected_persons": [{"relationship": "child", "age_group": "0-5", "count": 10**30}]},
        {"narrative": "x" * 5000},
        {"narrative": None},
    ],
)
def test_wrong_types_and_unknown_choices_are_400(world, change):
    client = client_for(world.cast.rep_police)
    before = Situation.objects.count()
    data = {
        "subject_type": "individual",
        "age_group": "18-24",
        "gender": "male",
        "narrative": "Adult in their 20s, several police calls this month.",
        "risk_factors": ["drugs.person"],
        **change,
    }
    body = assert_error(client.post(url(world, "situations/"), data, format="json"), 400)
    assert set(change) & set(body["errors"])
    assert Situation.objects.count() == before


def test_identifying_text_in_a_narrative_is_refused_without_echoing_it(world):
    client = client_for(world.cast.rep_police)
    data = {"narrative": "Mr. Castellanos called from 705-555-0199."}
    response = client.patch(url(world, f"situations/{world.draft.pk}/"), data, format="json")
    body = assert_error(response, 400, "invalid")
    assert "narrative" in body["errors"]
    assert "Castellanos" not in response.content.decode()
    assert "705-555-0199" not in response.content.decode()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [("{not json", "application/json"), ("[1, 2", "application/json"), ("\x00\xff", None)],
)
def test_malformed_json_is_400(world, content, content_type):
    response = client_for(world.cast.chair).generic(
        "POST",
        url(world, f"situations/{world.presented.pk}/accept/"),
        content.encode("latin-1"),
        content_type=content_type or "application/json",
    )
    assert_error(response, 400)


def test_a_body_that_is_not_an_object_is_400(world, chair):
    response = chair.post(url(world, f"situations/{world.presented.pk}/reject/"), [1, 2], "json")
    assert_error(response, 400, "invalid")


def test_a_body_in_another_format_is_415(world, chair):
    response = chair.post(
        url(world, f"situations/{world.presented.pk}/reject/"),
        "reason=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, 415)


@pytest.mark.parametrize(
    "query",
    [
        "status=archived",
        "created_after=yesterday",
        "meeting=abc",
        f"meeting={10**30}",
        "number=" + "x" * 41,
        "page=0",
    ],
)
def test_bad_filters_are_4xx_json(world, chair, query):
    response = chair.get(url(world, f"situations/?{query}"))
    assert_error(response, 404 if query.startswith("page") else 400)


@pytest.mark.parametrize(
    "query", ["from=2026-13-01", "from=2026-05-01&to=2026-01-01", "to=1900-01-01"]
)
def test_bad_statistics_period_is_400(world, chair, query):
    body = assert_error(chair.get(url(world, f"statistics/?{query}")), 400, "invalid")
    assert body["errors"]


def test_id_of_another_tables_agency_is_400_not_a_hint(world, chair):
    from tests.factories import AgencyFactory

    stranger = AgencyFactory(name="Agency Elsewhere")
    response = chair.post(
        url(world, f"situations/{world.accepted.pk}/f3/"),
        {"agencies": [stranger.pk, 10**30, -1]},
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert "agencies" in body["errors"]


# --- 403 and 404 ---------------------------------------------------------------------------------


def test_member_without_the_capability_gets_403_with_a_message(world):
    client = client_for(world.cast.rep_housing)
    response = client.post(url(world, f"situations/{world.presented.pk}/accept/"), ALL_AER, "json")
    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize(
    "path",
    [
        "situations/abc/",
        "situations/-1/",
        "situations/0/",
        f"situations/{10**30}/",
        "situations/1.5/",
        "situations/%20/",
        "meetings/abc/agenda/",
        "tasks/99999999999/complete/",
    ],
)
def test_malformed_or_unknown_ids_are_404_json(world, chair, path):
    method = chair.post if path.endswith("complete/") else chair.get
    assert_error(method(url(world, path)), 404, "not_found")


@pytest.mark.parametrize("table", ["abc", "-5", str(10**30), "0"])
def test_malformed_table_ids_are_404_json(world, chair, table):
    assert_error(chair.get(f"/api/v1/tables/{table}/situations/"), 404)


def test_another_tables_situation_is_404(world):
    client = client_for(world.cast.outsider)
    assert_error(client.get(url(world, f"situations/{world.draft.pk}/")), 404)


def test_a_token_key_that_cannot_exist_is_404_json(world, chair):
    assert_error(chair.delete("/api/v1/auth/tokens/%00/"), 404, "not_found")
    assert_error(chair.delete("/api/v1/auth/tokens/" + "f" * 200 + "/"), 404, "not_found")


def test_unknown_api_address_is_404_json(world, chair):
    assert_error(chair.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_unsupported_method_is_405_json(world, chair):
    assert_error(chair.put(url(world, f"situations/{world.draft.pk}/"), {}, "json"), 405)


def test_anonymous_is_401_json(world, api):
    response = api.get(url(world, "situations/"))
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


# --- 409 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "situation", "body"),
    [
        ("accept", "accepted", ALL_AER),
        ("attest", "presented", None),
        ("f3", "presented", "agencies"),
        ("conclude", "presented", {"reason": "connected"}),
        ("withdraw", "concluded", {"reason": "No longer needed."}),
        ("report-back", "accepted", {"note": "Visited twice."}),
    ],
)
def test_illegal_transition_is_409_and_writes_nothing(world, action, situation, body):
    actor = world.cast.rep_police if action in ("attest", "withdraw") else world.cast.chair
    if body == "agencies":
        body = {"agencies": [world.cast.housing.pk]}
    target = getattr(world, situation)
    before = StatusChange.objects.count()
    response = client_for(actor).post(
        url(world, f"situations/{target.pk}/{action}/"), body, format="json"
    )
    assert_error(response, 409, "invalid_transition")
    assert StatusChange.objects.count() == before
    assert Situation.objects.get(pk=target.pk).status == target.status


def test_completing_a_done_task_is_409(world):
    client = client_for(world.cast.rep_housing)
    path = url(world, f"tasks/{world.task.pk}/complete/")
    assert client.post(path).status_code == 200
    assert_error(client.post(path), 409, "invalid_transition")


def test_closed_meeting_refuses_agenda_changes_with_409(world, chair):
    assert chair.post(url(world, f"meetings/{world.meeting.pk}/close/")).status_code == 200
    response = chair.post(
        url(world, f"meetings/{world.meeting.pk}/agenda/"),
        {"situation": world.intervention.pk},
        format="json",
    )
    assert_error(response, 409, "invalid_transition")


def test_a_new_agreement_must_be_accepted_before_the_api_shows_the_table(world):
    from agencies.services import accept_agreement, publish_agreement

    version = publish_agreement(
        actor=world.cast.coordinator, table=world.cast.table, text="We share the minimum, v2."
    )
    client = client_for(world.cast.rep_police)
    assert_error(client.get(url(world, "situations/")), 403, "agreement_required")
    assert client.get("/api/v1/tables/").status_code == 200  # the list of one's own tables
    accept_agreement(actor=world.cast.rep_police, version=version)
    assert client.get(url(world, "situations/")).status_code == 200
