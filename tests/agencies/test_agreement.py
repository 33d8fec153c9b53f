"""The information-sharing agreement: no situation is shown before the newest is accepted."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from agencies import services
from agencies.models import AgreementAcceptance
from agencies.permissions import (
    AGREEMENT_REQUIRED_MESSAGE,
    Capability,
    agreement_required,
    get_table_access,
    table_view,
)
from cases.models import Status
from core.models import AuditEvent
from tests.cases.factories import SituationFactory, advance


def accept(client, cast, version, **extra):
    return client.post(
        reverse("agreement", args=[cast.table.pk]),
        {"version": version.pk, "confirm": "on", **extra},
    )


@pytest.fixture
def table_pages(cast):
    """(user, URL) for every page of the table that shows situations, one per URL name."""
    situation = advance(SituationFactory(actor=cast.rep_police), Status.ACCEPTED, cast=cast)
    meeting = services_meeting(cast)
    t, s, m = cast.table.pk, situation.pk, meeting.pk
    return [
        (cast.rep_housing, reverse("table-overview", args=[t])),
        (cast.rep_housing, reverse("situation-list", args=[t])),
        (cast.rep_housing, reverse("situation-detail", args=[t, s])),
        (cast.rep_housing, reverse("meeting-list", args=[t])),
        (cast.rep_housing, reverse("meeting-detail", args=[t, m])),
        (cast.rep_housing, reverse("meeting-mode", args=[t, m])),
        (cast.rep_housing, reverse("task-list", args=[t])),
        (cast.rep_housing, reverse("table-members", args=[t])),
        (cast.rep_police, reverse("situation-create", args=[t])),
        (cast.rep_police, reverse("person-add", args=[t, s])),
        (cast.rep_police, reverse("consent-add", args=[t, s])),
        (cast.chair, reverse("situation-disclose", args=[t, s])),
        (cast.privacy, reverse("privacy-review", args=[t])),
        (cast.coordinator, reverse("privacy-policy", args=[t])),
        (cast.coordinator, reverse("reports-statistics", args=[t])),
    ]


def services_meeting(cast):
    from django.utils import timezone

    from cases import services as case_services

    return case_services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )


def test_a_table_without_an_agreement_gates_nobody(client, cast, table_pages):
    for user, url in table_pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert agreement_required(get_table_access(user, cast.table.pk)) is False


def test_every_situation_page_sends_a_member_who_has_not_accepted_to_the_agreement(
    client, cast, table_pages
):
    services.publish_agreement(actor=cast.coordinator, table=cast.table, text="Terms v1")
    agreement_url = reverse("agreement", args=[cast.table.pk])
    for user, url in table_pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(agreement_url + "?next="), url


def test_after_accepting_every_page_opens_again(client, cast, table_pages, agreement):
    for user in {user for user, _url in table_pages}:
        services.accept_agreement(actor=user, version=agreement)
    for user, url in table_pages:
        client.force_login(user)
        assert client.get(url).status_code == 200, url


def test_accepting_returns_to_the_page_asked_for(client, cast, agreement):
    client.force_login(cast.rep_police)
    situations = reverse("situation-list", args=[cast.table.pk])
    gate = client.get(situations)
    page = client.get(gate.url)
    assert page.status_code == 200
    assert b"We share only what is needed." in page.content
    response = accept(client, cast, agreement, next=situations)
    assert response.status_code == 302
    assert response.url == situations
    assert client.get(situations).status_code == 200
    acceptance = AgreementAcceptance.objects.get(user=cast.rep_police)
    assert acceptance.version == agreement
    event = AuditEvent.objects.get(event="agreement.accepted")
    assert (event.actor_id, event.data) == (cast.rep_police.pk, {"version": 1})


def test_accepting_without_next_continues_to_the_orientation(client, cast, agreement):
    client.force_login(cast.rep_police)
    response = accept(client, cast, agreement)
    assert response.url == reverse("orientation", args=[cast.table.pk])


def test_next_must_stay_on_this_site(client, cast, agreement):
    client.force_login(cast.rep_police)
    response = accept(client, cast, agreement, next="https://evil.example/")
    assert response.url == reverse("orientation", args=[cast.table.pk])


def test_the_box_must_be_ticked(client, cast, agreement):
    client.force_login(cast.rep_police)
    response = client.post(reverse("agreement", args=[cast.table.pk]), {"version": agreement.pk})
    assert response.status_code == 400
    assert b"Tick the box" in response.content
    assert not AgreementAcceptance.objects.exists()


def test_accepting_an_outdated_version_is_refused(client, cast, agreement):
    newer = services.publish_agreement(actor=cast.coordinator, table=cast.table, text="v2")
    client.force_login(cast.rep_police)
    response = accept(client, cast, agreement)
    assert response.status_code == 400
    assert b"A newer version of the agreement was published" in response.content
    assert not AgreementAcceptance.objects.filter(user=cast.rep_police).exists()
    assert accept(client, cast, newer).status_code == 302


def test_a_new_version_must_be_accepted_again(client, cast, agreement):
    services.accept_agreement(actor=cast.rep_police, version=agreement)
    access = get_table_access(cast.rep_police, cast.table.pk)
    assert agreement_required(access) is False
    services.publish_agreement(actor=cast.coordinator, table=cast.table, text="Terms v2")
    assert agreement_required(access) is True
    client.force_login(cast.rep_police)
    response = client.get(reverse("situation-list", args=[cast.table.pk]))
    page = client.get(response.url)
    assert b"The agreement has changed since you accepted version 1" in page.content


def test_htmx_requests_are_redirected_by_htmx(client, cast, agreement):
    client.force_login(cast.chair)
    response = client.get(reverse("situation-list", args=[cast.table.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("agreement", args=[cast.table.pk])


def test_a_post_is_refused_without_side_effects(client, cast, agreement):
    situation = SituationFactory(actor=cast.rep_police)
    client.force_login(cast.rep_police)
    response = client.post(
        reverse("situation-attest", args=[cast.table.pk, situation.pk]),
    )
    assert response.status_code == 302
    assert response.url == reverse("agreement", args=[cast.table.pk])
    situation.refresh_from_db()
    assert situation.status == Status.DRAFT


def test_api_paths_get_a_json_403(cast, agreement):
    @table_view(Capability.VIEW_SITUATIONS)
    def endpoint(request, access):
        return HttpResponse("secret")

    request = RequestFactory().get(f"/api/v1/tables/{cast.table.pk}/situations/")
    request.user = cast.rep_police
    response = endpoint(request, table_id=cast.table.pk)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert b"secret" not in response.content
    assert str(AGREEMENT_REQUIRED_MESSAGE).encode() in response.content


def test_agreement_and_orientation_pages_are_open_before_accepting(client, cast, agreement):
    client.force_login(cast.rep_police)
    for name in ("agreement", "orientation"):
        assert client.get(reverse(name, args=[cast.table.pk])).status_code == 200


def test_the_agreement_page_is_for_members_only(client, cast, agreement):
    client.force_login(cast.outsider)
    response = client.get(reverse("agreement", args=[cast.table.pk]))
    assert response.status_code == 404
    assert b"We share only" not in response.content


def test_home_flags_tables_whose_agreement_is_waiting(client, cast, agreement):
    client.force_login(cast.rep_police)
    assert b"Agreement to accept" in client.get(reverse("home")).content
    services.accept_agreement(actor=cast.rep_police, version=agreement)
    assert b"Agreement to accept" not in client.get(reverse("home")).content


# --- Publishing ----------------------------------------------------------------------------------


def test_coordinator_publishes_versions(coordinator_client, cast):
    url = reverse("agreement-edit", args=[cast.table.pk])
    response = coordinator_client.post(url, {"text": "First terms."})
    assert response.status_code == 302
    response = coordinator_client.post(url, {"text": "Second terms."})
    versions = list(cast.table.agreement_versions.values_list("version", "text"))
    assert versions == [(2, "Second terms."), (1, "First terms.")]
    events = AuditEvent.objects.filter(event="agreement.published").order_by("id")
    assert [e.data for e in events] == [{"version": 1}, {"version": 2}]


@pytest.mark.parametrize("text,message", [("   ", b"required"), ("Same.", b"already in force")])
def test_publishing_nothing_new_is_a_form_error(coordinator_client, cast, text, message):
    services.publish_agreement(actor=cast.coordinator, table=cast.table, text="Same.")
    response = coordinator_client.post(
        reverse("agreement-edit", args=[cast.table.pk]), {"text": text}
    )
    assert response.status_code == 400
    assert message in response.content
    assert cast.table.agreement_versions.count() == 1


@pytest.mark.parametrize("who,status", [("chair", 403), ("rep_police", 403), ("outsider", 404)])
def test_only_coordinators_edit_the_agreement(client, cast, who, status):
    client.force_login(getattr(cast, who))
    response = client.post(reverse("agreement-edit", args=[cast.table.pk]), {"text": "Mine."})
    assert response.status_code == status
    assert not cast.table.agreement_versions.exists()


def test_agreement_text_is_escaped(client, cast):
    services.publish_agreement(
        actor=cast.coordinator, table=cast.table, text="<script>alert(1)</script>"
    )
    client.force_login(cast.rep_police)
    body = client.get(reverse("agreement", args=[cast.table.pk])).content
    assert b"<script>alert(1)" not in body
    assert b"&lt;script&gt;" in body


# --- Orientation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,duty",
    [
        ("chair", "Record each Filter 2 decision"),
        ("coordinator", "remove their access the day they leave"),
        ("rep_police", "Write narratives without names"),
        ("privacy", "Review disclosures"),
    ],
)
def test_orientation_explains_the_filters_and_the_role(client, cast, who, duty):
    client.force_login(getattr(cast, who))
    body = client.get(reverse("orientation", args=[cast.table.pk])).content.decode()
    for n in range(1, 5):
        assert f"Filter {n}" in body
    assert duty in body


def test_only_members_can_accept_a_tables_agreement(cast, agreement):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.accept_agreement(actor=cast.outsider, version=agreement)
    assert not AgreementAcceptance.objects.exists()
