"""The live meeting (issue 16, parts 1 and 2): start, close and re-open; the current-item pointer
driven by the chair or the coordinator; follow mode, whose fragment goes through the visibility
policy; check-in; the WebSocket that carries only a version."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases import services
from cases.models import CheckIn, Meeting, Status
from core.exceptions import InvalidTransition
from core.models import AuditEvent
from tests.asyncio_thread import run as run_async
from tests.cases.factories import MeetingFactory, bring_to

pytestmark = pytest.mark.django_db

PLAN_SENTINEL = "Sentinel plan: door knock at dusk with outreach worker"


@pytest.fixture
def live(cast):
    """A started meeting with two items: an accepted situation planned by housing (lead) and
    police, and a presented one."""
    meeting = MeetingFactory(table=cast.table)
    planned = bring_to(Status.INTERVENTION, cast=cast, meeting=meeting)
    services.plan_intervention(
        actor=cast.chair,
        situation=planned,
        lead_agency=cast.housing,
        assisting_agencies=[cast.police],
        note=PLAN_SENTINEL,
        meeting=meeting,
    )
    presented = bring_to(Status.PRESENTED, cast=cast)
    first = services.add_to_agenda(actor=cast.chair, meeting=meeting, situation=planned)
    second = services.add_to_agenda(actor=cast.chair, meeting=meeting, situation=presented)
    meeting = services.start_meeting(actor=cast.chair, meeting=meeting)
    return meeting, first, second


def url(name, cast, meeting):
    return reverse(name, args=[cast.table.pk, meeting.pk])


# --- Lifecycle and pointer ---------------------------------------------------------------------


def test_starting_shows_the_first_item_and_every_change_raises_the_version(cast, live):
    meeting, first, second = live
    assert meeting.current_item_id == first.pk
    before = Meeting.objects.get(pk=meeting.pk).version

    services.set_current_item(actor=cast.coordinator, meeting=meeting, item=second)

    meeting.refresh_from_db()
    assert meeting.current_item_id == second.pk and meeting.version == before + 1
    event = AuditEvent.objects.filter(event="meeting.current_item").latest("id")
    assert event.actor_id == cast.coordinator.pk and event.data == {"item": second.pk}
    # A decision at the meeting moves the version too (followers refetch their share).
    services.record_filter2_decision(
        actor=cast.chair,
        situation=second.situation,
        disposition="rejected",
        reason="Not acutely elevated; the agency keeps working with the person.",
        meeting=meeting,
    )
    meeting.refresh_from_db()
    assert meeting.version == before + 2


@pytest.mark.parametrize("who", ["rep_police", "rep_housing", "privacy", "outsider"])
def test_only_the_chair_or_the_coordinator_drives_the_pointer(cast, live, who):
    meeting, _first, second = live
    with pytest.raises(PermissionDenied):
        services.set_current_item(actor=getattr(cast, who), meeting=meeting, item=second)
    meeting.refresh_from_db()
    assert meeting.current_item_id != second.pk


def test_an_item_of_another_meeting_cannot_be_shown(cast, live):
    meeting, _first, _second = live
    other = MeetingFactory(table=cast.table)
    elsewhere = services.add_to_agenda(
        actor=cast.chair, meeting=other, situation=bring_to(Status.PRESENTED, cast=cast)
    )
    with pytest.raises(ValidationError):
        services.set_current_item(actor=cast.chair, meeting=meeting, item=elsewhere)


def test_closing_freezes_and_reopening_needs_a_reason(cast, live):
    meeting, _first, second = live
    services.close_meeting(actor=cast.coordinator, meeting=meeting)
    with pytest.raises(InvalidTransition):
        services.set_current_item(actor=cast.chair, meeting=meeting, item=second)
    with pytest.raises(ValidationError):
        services.reopen_meeting(actor=cast.chair, meeting=meeting, reason="  ")
    with pytest.raises(PermissionDenied):
        services.reopen_meeting(actor=cast.rep_police, meeting=meeting, reason="Fix a typo.")

    services.reopen_meeting(actor=cast.chair, meeting=meeting, reason="Attendance was wrong.")

    meeting.refresh_from_db()
    assert meeting.closed_at is None
    event = AuditEvent.objects.filter(event="meeting.reopened").latest("id")
    assert event.actor_id == cast.chair.pk and "Attendance" not in json.dumps(event.data)
    with pytest.raises(InvalidTransition):
        services.reopen_meeting(actor=cast.chair, meeting=meeting, reason="Again.")


def test_start_close_and_reopen_from_the_meeting_page(client, cast):
    meeting = MeetingFactory(table=cast.table)
    client.force_login(cast.coordinator)
    page = client.get(url("meeting-detail", cast, meeting)).content.decode()
    assert "Start meeting" in page and "Follow this meeting" in page

    response = client.post(url("meeting-agenda-change", cast, meeting), {"action": "start"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.started_at and "Close meeting" in client.get(
        url("meeting-detail", cast, meeting)
    ).content.decode("utf-8")

    client.post(url("meeting-agenda-change", cast, meeting), {"action": "close"})
    meeting.refresh_from_db()
    assert meeting.closed_at
    assert client.post(url("meeting-reopen", cast, meeting), {"reason": ""}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.closed_at  # no reason, no re-opening
    client.post(url("meeting-reopen", cast, meeting), {"reason": "Attendance was wrong."})
    meeting.refresh_from_db()
    assert meeting.closed_at is None


def test_a_representative_cannot_start_close_or_move_the_pointer(client, cast, live):
    meeting, _first, second = live
    client.force_login(cast.rep_police)
    assert (
        client.post(url("meeting-current", cast, meeting), {"item": second.pk}).status_code == 403
    )
    assert (
        client.post(url("meeting-agenda-change", cast, meeting), {"action": "close"}).status_code
        == 403
    )
    assert client.post(url("meeting-reopen", cast, meeting), {"reason": "x"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.current_item_id != second.pk and meeting.closed_at is None


def test_the_chair_moves_the_pointer_from_meeting_mode(client, cast, live):
    meeting, _first, second = live
    client.force_login(cast.chair)
    mode = client.get(url("meeting-mode", cast, meeting)).content.decode()
    assert "Shown to followers" in mode
    response = client.post(
        url("meeting-current", cast, meeting), {"item": second.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"].endswith(f"?item={second.pk}")
    body = response.content.decode()
    assert second.situation.number in body and "Shown to followers" in body
    meeting.refresh_from_db()
    assert meeting.current_item_id == second.pk


# --- Follow mode -------------------------------------------------------------------------------


def test_follow_fragment_gives_each_agency_its_share(client, cast, live):
    meeting, first, _second = live
    number = first.situation.number
    shares = {}
    for who in ("rep_housing", "rep_health", "chair"):
        client.force_login(getattr(cast, who))
        response = client.get(url("meeting-follow-item", cast, meeting))
        assert response.status_code == 200
        shares[who] = response.content.decode()
        assert number in shares[who]
        assert f'data-version="{Meeting.objects.get(pk=meeting.pk).version}"' in shares[who]
    # Housing leads the intervention: it sees the plan. Health is not intervening: it sees that
    # the intervening agencies are planning, and nothing of the plan.
    assert PLAN_SENTINEL in shares["rep_housing"]
    assert PLAN_SENTINEL not in shares["rep_health"]
    assert "data-f4-placeholder" in shares["rep_health"]


def test_follow_pages_are_for_members_of_the_table_only(client, cast, live):
    meeting, _first, _second = live
    client.force_login(cast.outsider)
    for name in ("meeting-follow", "meeting-follow-item", "meeting-follow-state"):
        assert client.get(url(name, cast, meeting)).status_code == 404
    assert client.post(url("meeting-check-in", cast, meeting)).status_code == 404


def test_follow_state_is_only_the_version(client, cast, live):
    meeting, _first, _second = live
    client.force_login(cast.rep_health)
    response = client.get(url("meeting-follow-state", cast, meeting))
    assert response.json() == {"version": Meeting.objects.get(pk=meeting.pk).version}


def test_an_item_returned_to_its_agency_is_hidden_from_followers(client, cast, live):
    meeting, _first, second = live
    services.set_current_item(actor=cast.chair, meeting=meeting, item=second)
    services.record_filter2_decision(
        actor=cast.chair,
        situation=second.situation,
        disposition="returned",
        reason="Bring back the school's view next week.",
        meeting=meeting,
    )
    client.force_login(cast.rep_housing)
    body = client.get(url("meeting-follow-item", cast, meeting)).content.decode()
    assert second.situation.number not in body
    assert "an item you do not see" in body


def test_check_in_from_follow_mode_and_the_chair_confirms(client, cast, live):
    meeting, _first, _second = live
    client.force_login(cast.rep_housing)
    page = client.get(url("meeting-follow", cast, meeting)).content.decode()
    assert "Check in for THC" in page
    client.post(url("meeting-check-in", cast, meeting))
    client.post(url("meeting-check-in", cast, meeting))  # twice: one check-in
    assert CheckIn.objects.filter(meeting=meeting, agency=cast.housing).count() == 1
    assert (
        "waiting for the chair" in client.get(url("meeting-follow", cast, meeting)).content.decode()
    )

    client.force_login(cast.chair)
    mode = client.get(url("meeting-mode", cast, meeting)).content.decode()
    assert "data-check-in-pending" in mode
    client.post(
        reverse("meeting-attendance", args=[cast.table.pk, meeting.pk, cast.housing.pk]),
        {"present": "1"},
    )
    assert meeting.attendance.get(agency=cast.housing).present


# --- API ---------------------------------------------------------------------------------------


def test_the_api_moves_the_pointer_and_reopens(client, cast, live):
    meeting, _first, second = live
    base = f"/api/v1/tables/{cast.table.pk}/meetings/{meeting.pk}"
    client.force_login(cast.rep_police)
    assert client.post(f"{base}/current/", {"item": second.pk}).status_code == 403
    client.force_login(cast.coordinator)
    response = client.post(f"{base}/current/", {"item": second.pk}, content_type="application/json")
    assert response.status_code == 200 and response.json()["current_item"] == second.pk
    missing = client.post(f"{base}/current/", {"item": 10**12}, content_type="application/json")
    assert missing.status_code == 404
    assert client.post(f"{base}/close/").status_code == 200
    response = client.post(f"{base}/reopen/", {}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = client.post(
        f"{base}/reopen/", {"reason": "Attendance was wrong."}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["closed_at"] is None


# --- The WebSocket -----------------------------------------------------------------------------


def _socket(client, cast, meeting, *, origin="http://testserver"):
    from situation_table.routing import application

    cookie = (
        f"sessionid={client.cookies['sessionid'].value}" if "sessionid" in client.cookies else ""
    )
    return WebsocketCommunicator(
        application,
        f"/ws/tables/{cast.table.pk}/meetings/{meeting.pk}/",
        headers=[
            (b"cookie", cookie.encode()),
            (b"origin", origin.encode()),
            (b"host", b"testserver"),
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_the_socket_sends_the_version_on_connect_and_on_every_change(client, cast, live):
    meeting, _first, second = live
    client.force_login(cast.rep_health)
    client.get(url("meeting-follow", cast, meeting))  # a page view: the session is active

    async def scenario():
        socket = _socket(client, cast, meeting)
        connected, _code = await socket.connect()
        assert connected
        first = await socket.receive_json_from(timeout=2)
        from channels.db import database_sync_to_async

        await database_sync_to_async(services.set_current_item)(
            actor=cast.chair, meeting=meeting, item=second
        )
        pushed = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return first, pushed

    first, pushed = run_async(scenario)
    assert set(first) == {"version"} and set(pushed) == {"version"}
    assert pushed["version"] == first["version"] + 1 == Meeting.objects.get(pk=meeting.pk).version


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["outsider", "anonymous", "other_origin"])
def test_the_socket_refuses_strangers(client, cast, live, who):
    meeting, _first, _second = live
    if who == "outsider":
        client.force_login(cast.outsider)
    elif who == "other_origin":
        client.force_login(cast.rep_health)

    async def scenario():
        origin = "https://evil.example" if who == "other_origin" else "http://testserver"
        socket = _socket(client, cast, meeting, origin=origin)
        connected, _code = await socket.connect()
        await socket.disconnect()
        return connected

    assert run_async(scenario) is False


def test_the_fragment_is_shared_per_audience_and_version(
    client, cast, live, django_assert_max_num_queries
):
    """One render per audience (agency and role) and version: the second follower of the same
    agency and role gets the same bytes without a render; another agency gets its own share;
    a new version renders afresh."""
    from agencies.models import Role
    from tests.conftest import accept_current_agreements
    from tests.factories import MembershipFactory, UserFactory

    meeting, first, second = live
    colleague = MembershipFactory(
        user=UserFactory(username="t-rep-housing-2"),
        table=cast.table,
        agency=cast.housing,
        role=Role.REPRESENTATIVE,
    ).user
    accept_current_agreements(colleague)
    client.force_login(cast.rep_housing)
    mine = client.get(url("meeting-follow-item", cast, meeting)).content
    client.force_login(colleague)
    with django_assert_max_num_queries(12) as queries:
        theirs = client.get(url("meeting-follow-item", cast, meeting)).content
    assert theirs == mine and PLAN_SENTINEL.encode() in mine
    assert not any("cases_agendaitem" in q["sql"] for q in queries.captured_queries)
    client.force_login(cast.rep_health)
    assert (
        PLAN_SENTINEL.encode() not in client.get(url("meeting-follow-item", cast, meeting)).content
    )

    services.set_current_item(actor=cast.chair, meeting=meeting, item=second)
    client.force_login(colleague)
    moved = client.get(url("meeting-follow-item", cast, meeting)).content.decode()
    assert second.situation.number in moved and first.situation.number not in moved


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_decisions_still_work_and_followers_poll(client, cast, live, settings):
    """Losing Redis loses no change: the version still rises in the database (the polling
    fallback reads it), the fragment still renders, and the chair's action answers quickly."""
    import time

    from channels.layers import channel_layers

    meeting, _first, second = live
    unreachable = "redis://127.0.0.1:1/0"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [unreachable]},
        }
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": unreachable,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    channel_layers.backends.clear()
    try:
        before = Meeting.objects.get(pk=meeting.pk).version
        started = time.monotonic()
        services.set_current_item(actor=cast.chair, meeting=meeting, item=second)
        assert time.monotonic() - started < 3
        assert Meeting.objects.get(pk=meeting.pk).version == before + 1
        client.force_login(cast.rep_health)
        state = client.get(url("meeting-follow-state", cast, meeting))
        assert state.json() == {"version": before + 1}
        fragment = client.get(url("meeting-follow-item", cast, meeting))
        assert fragment.status_code == 200 and second.situation.number in fragment.content.decode()
    finally:
        channel_layers.backends.clear()
