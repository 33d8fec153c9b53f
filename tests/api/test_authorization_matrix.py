"""Every endpoint × every kind of person → the expected status code, from the table below.

Each request is valid for the endpoint (a correct body, an object in the right state), so the
status says only who may do it. The roles:

    CH  chair (agency: health, never disclosed to)      CO  coordinator (health)
    OR  representative of the originating agency (police)
    DI  representative of a disclosed agency (housing: Filter 3 disclosure, task owner)
    ND  representative of a non-disclosed agency (health)
    OT  chair of another table                           AN  anonymous

Non-members of the table get 404 (they must not learn that anything exists), anonymous callers 401.
A test also checks that every operation of the schema appears in the table, so a new endpoint
cannot ship without its row.
"""

import datetime

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import ALL_AER, client_for

ROLES = ["CH", "CO", "OR", "DI", "ND", "OT", "AN"]
USERS = {
    "CH": "chair",
    "CO": "coordinator",
    "OR": "rep_police",
    "DI": "rep_housing",
    "ND": "rep_health",
    "OT": "outsider",
    "AN": None,
}

T = "/api/v1/tables/{table}"
S = T + "/situations"
M = T + "/meetings/{meeting}"


def tomorrow():
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def new_situation(w):
    return {
        "subject_type": "individual",
        "age_group": "18-24",
        "gender": "male",
        "narrative": "Adult in their 20s, 3 police calls this month, eviction notice received.",
        "risk_factors": ["drugs.person", "housing.homeless"],
    }


# (name, method, path, body(w) or None, {role: status}) — a role missing from the dict answers
# like the default given in ``expect``.
MATRIX = [
    # --- the user's own things: any signed-in person
    ("tables", "get", "/api/v1/tables/", None, "all:200"),
    ("tokens", "get", "/api/v1/auth/tokens/", None, "all:200"),
    ("token-create", "post", "/api/v1/auth/tokens/", lambda w: {}, "all:201"),
    ("notifications", "get", "/api/v1/notifications/", None, "all:200"),
    ("notifications-read-all", "post", "/api/v1/notifications/read-all/", None, "all:200"),
    # --- the members' API tokens: the coordinator (MANAGE_MEMBERS) reviews them
    (
        "member-tokens",
        "get",
        T + "/tokens/",
        None,
        {"CH": 403, "CO": 200, "OR": 403, "DI": 403, "ND": 403},
    ),
    # --- reading the table: every member
    ("table", "get", T + "/", None, "members:200"),
    ("agencies", "get", T + "/agencies/", None, "members:200"),
    ("agency", "get", T + "/agencies/{police}/", None, "members:200"),
    ("situations", "get", S + "/", None, "members:200"),
    ("situation", "get", S + "/{accepted}/", None, "members:200"),
    # Disclosure metadata: the originating agency, chair and coordinator, the agencies named at
    # Filter 3 (housing and police) — not the other agencies (DESIGN §2a).
    (
        "disclosures",
        "get",
        S + "/{intervention}/disclosures/",
        None,
        {"CH": 200, "CO": 200, "OR": 200, "DI": 200, "ND": 403},
    ),
    (
        "consents",
        "get",
        S + "/{intervention}/consents/",
        None,
        {"CH": 200, "CO": 200, "OR": 200, "DI": 200, "ND": 403},
    ),
    ("tasks", "get", T + "/tasks/", None, "members:200"),
    # Task text is Filter 4 working detail: a non-intervening agency does not learn it exists.
    (
        "task",
        "get",
        T + "/tasks/{task}/",
        None,
        {"CH": 200, "CO": 200, "OR": 200, "DI": 200, "ND": 404},
    ),
    ("meetings", "get", T + "/meetings/", None, "members:200"),
    ("meeting", "get", M + "/", None, "members:200"),
    ("agenda", "get", M + "/agenda/", None, "members:200"),
    ("attendance", "get", M + "/attendance/", None, "members:200"),
    # --- identifying information: the originating agency and the disclosed agency only
    (
        "reveal",
        "post",
        S + "/{intervention}/identifying-info/reveal/",
        None,
        {"CH": 403, "CO": 403, "OR": 200, "DI": 200, "ND": 403},
    ),
    (
        "record-person",
        "post",
        S + "/{draft}/identifying-info/",
        lambda w: {"given_name": "Alex", "family_name": "Moreau"},
        # A draft exists only for its originating agency (Filter 1 is internal); a coordinator
        # cannot record people at all (403 before any lookup).
        {"CH": 404, "CO": 403, "OR": 201, "DI": 404, "ND": 404},
    ),
    (
        "disclose",
        "post",
        S + "/{intervention}/disclosures/",
        lambda w: {
            "agencies": [w.cast.housing.pk],
            "fields": ["given_name"],
            "basis": "imminent_risk",
            "justification": "Missing twice this week with violence at home reported.",
        },
        # The chair, or the originating agency for its own client's information.
        {"CH": 201, "CO": 403, "OR": 201, "DI": 403, "ND": 403},
    ),
    (
        "record-consent",
        "post",
        S + "/{intervention}/consents/",
        lambda w: {
            "kind": "disclosure",
            "given_by": "parent",
            "method": "written",
            "given_on": timezone.localdate().isoformat(),
        },
        {"CH": 201, "CO": 403, "OR": 201, "DI": 403, "ND": 403},
    ),
    (
        "withdraw-consent",
        "post",
        S + "/{intervention}/consents/{consent}/withdraw/",
        lambda w: {"note": "Withdrawn by phone"},
        {"CH": 200, "CO": 403, "OR": 200, "DI": 403, "ND": 403},
    ),
    (
        "revoke-disclosure",
        "post",
        T + "/disclosures/{disclosure}/revoke/",
        lambda w: {"reason": "Named by mistake at Filter 3."},
        {"CH": 200, "CO": 403, "OR": 403, "DI": 403, "ND": 403},
    ),
    # --- intake and Filter 1: representatives (and the chair) for their own agency
    (
        "create",
        "post",
        S + "/",
        new_situation,
        {"CH": 201, "CO": 403, "OR": 201, "DI": 201, "ND": 201},
    ),
    (
        "edit",
        "patch",
        S + "/{draft}/",
        lambda w: {"gender": "female"},
        {"CH": 404, "CO": 404, "OR": 200, "DI": 404, "ND": 404},
    ),
    (
        "attest",
        "post",
        S + "/{draft}/attest/",
        None,
        {"CH": 404, "CO": 403, "OR": 200, "DI": 404, "ND": 404},
    ),
    (
        "withdraw",
        "post",
        S + "/{draft}/withdraw/",
        lambda w: {"reason": "Handled within the agency."},
        {"CH": 404, "CO": 404, "OR": 200, "DI": 404, "ND": 404},
    ),
    # --- Filters 2 to 4: the chair; report-back and tasks also the lead agency (police)
    ("accept", "post", S + "/{presented}/accept/", lambda w: ALL_AER, "chair:200"),
    (
        "reject",
        "post",
        S + "/{presented}/reject/",
        lambda w: {"reason": "Not acutely elevated; the agency keeps working on it."},
        "chair:200",
    ),
    (
        "return",
        "post",
        S + "/{presented}/return/",
        lambda w: {"reason": "More information about the supports already tried."},
        "chair:200",
    ),
    (
        "f3",
        "post",
        S + "/{accepted}/f3/",
        lambda w: {"agencies": [w.cast.housing.pk, w.cast.police.pk]},
        "chair:200",
    ),
    (
        "plan",
        "post",
        S + "/{intervention}/plan/",
        lambda w: {"lead_agency": w.cast.housing.pk, "assisting_agencies": [w.cast.police.pk]},
        "chair:200",
    ),
    (
        "report-back",
        "post",
        S + "/{intervention}/report-back/",
        lambda w: {"note": "Door knock done; connected to outreach."},
        {"CH": 200, "CO": 403, "OR": 200, "DI": 403, "ND": 403},
    ),
    (
        "conclude",
        "post",
        S + "/{intervention}/conclude/",
        # No report back yet, and housing's task still open: both said explicitly.
        lambda w: {"reason": "unable_to_locate", "open_tasks": "keep"},
        "chair:200",
    ),
    (
        "add-task",
        "post",
        T + "/tasks/",
        lambda w: {
            "situation": w.intervention.pk,
            "owner_agency": w.cast.housing.pk,
            "description": "Follow-up visit",
            "due_date": tomorrow(),
        },
        {"CH": 201, "CO": 403, "OR": 201, "DI": 403, "ND": 403},
    ),
    (
        "complete-task",
        "post",
        T + "/tasks/{task}/complete/",
        None,
        # Health takes no part in this intervention: it does not learn the task exists.
        {"CH": 200, "CO": 403, "OR": 403, "DI": 200, "ND": 404},
    ),
    # --- meetings: chair and coordinator
    (
        "create-meeting",
        "post",
        T + "/meetings/",
        lambda w: {"scheduled_at": f"{tomorrow()}T18:00:00-05:00", "kind": "regular"},
        "managers:201",
    ),
    ("edit-meeting", "patch", M + "/", lambda w: {"location": "Room C"}, "managers:200"),
    ("start-meeting", "post", M + "/start/", None, "managers:200"),
    ("close-meeting", "post", M + "/close/", None, "managers:200"),
    (
        "current-item",
        "post",
        T + "/meetings/{live_meeting}/current/",
        lambda w: {"item": w.live_item.pk},
        "managers:200",
    ),
    (
        "reopen-meeting",
        "post",
        T + "/meetings/{closed_meeting}/reopen/",
        lambda w: {"reason": "Attendance was recorded wrongly."},
        "managers:200",
    ),
    (
        "agenda-add",
        "post",
        M + "/agenda/",
        lambda w: {"situation": w.intervention.pk},
        "managers:201",
    ),
    ("agenda-remove", "delete", M + "/agenda/{agenda_item}/", None, "managers:204"),
    ("agenda-fill", "post", M + "/agenda/fill/", None, "managers:200"),
    (
        "attendance-record",
        "post",
        M + "/attendance/",
        lambda w: {"agency": w.cast.police.pk, "present": True},
        "managers:200",
    ),
    # --- statistics and exports: chair and coordinator
    ("statistics", "get", T + "/statistics/", None, "managers:200"),
    ("export-rtd", "get", T + "/exports/rtd/", None, "managers:200"),
    ("export-summary", "get", T + "/exports/meetings/{meeting}/summary/", None, "managers:200"),
]


def expect(spec) -> dict[str, int]:
    """Expand a shorthand into a status per role."""
    if isinstance(spec, dict):
        return {**spec, "OT": 404, "AN": 401}
    group, code = spec.split(":")
    code = int(code)
    if group == "all":
        return {**dict.fromkeys(ROLES, code), "AN": 401}
    allowed = {"members": ROLES[:5], "chair": ["CH"], "managers": ["CH", "CO"]}[group]
    return {
        **{role: (code if role in allowed else 403) for role in ROLES[:5]},
        "OT": 404,
        "AN": 401,
    }


CASES = [
    pytest.param(name, method, path, body, role, expect(spec)[role], id=f"{name}-{role}")
    for name, method, path, body, spec in MATRIX
    for role in ROLES
]


def fill(path: str, w) -> str:
    return path.format(
        table=w.cast.table.pk,
        police=w.cast.police.pk,
        draft=w.draft.pk,
        presented=w.presented.pk,
        accepted=w.accepted.pk,
        intervention=w.intervention.pk,
        meeting=w.meeting.pk,
        agenda_item=w.agenda_item.pk,
        live_meeting=w.live_meeting.pk,
        closed_meeting=w.closed_meeting.pk,
        task=w.task.pk,
        consent=w.consent.pk,
        disclosure=w.disclosure.pk,
    )


@pytest.mark.parametrize(("name", "method", "path", "body", "role", "status"), CASES)
def test_authorization_matrix(world, name, method, path, body, role, status):
    user = USERS[role] and getattr(world.cast, USERS[role])
    client = client_for(user)
    data = body(world) if body else None
    response = getattr(client, method)(fill(path, world), data, format="json")
    assert response.status_code == status, response.content[:300]
    if status >= 400:
        assert response["Content-Type"] == "application/json"
        assert {"detail", "code"} <= set(response.json())


def test_every_operation_of_the_schema_is_in_the_matrix():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith("/api/v1/")
    }
    # The one detail route that needs a per-user object (a notification) has its own tests.
    covered = {("get", "/api/v1/notifications/{notification_id}/")}
    covered |= {("post", "/api/v1/notifications/{notification_id}/read/")}
    covered |= {("delete", "/api/v1/auth/tokens/{token_key}/")}
    # Revoking a member's token needs a token: tests/security/test_api_tokens.py.
    covered |= {("delete", "/api/v1/tables/{table_id}/tokens/{token_key}/")}
    for _name, method, path, _body, _spec in MATRIX:
        template = (
            path.replace("{table}", "{table_id}")
            .replace("/situations/{draft}", "/situations/{situation_id}")
            .replace("/situations/{presented}", "/situations/{situation_id}")
            .replace("/situations/{accepted}", "/situations/{situation_id}")
            .replace("/situations/{intervention}", "/situations/{situation_id}")
            .replace("{meeting}", "{meeting_id}")
            .replace("{live_meeting}", "{meeting_id}")
            .replace("{closed_meeting}", "{meeting_id}")
            .replace("{police}", "{agency_id}")
            .replace("{task}", "{task_id}")
            .replace("{consent}", "{consent_id}")
            .replace("{disclosure}", "{disclosure_id}")
            .replace("{agenda_item}", "{item_id}")
        )
        covered.add((method, template))
    assert operations - covered == set()
