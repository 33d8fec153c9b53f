"""One-time tokens on browser create forms (core/once.py): a replay answers "already recorded"."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Situation, Status, Task
from core.models import IdempotencyKey
from tests.cases.test_concurrency import run_together
from tests.cases.test_views import intake_data, make_situation

TOKEN = re.compile(r'name="_once" value="([^"]+)"')


def token_from(response) -> str:
    [token] = TOKEN.findall(response.content.decode())
    return token


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_replayed_intake_creates_one_situation_and_says_already_recorded(client, cast):
    client.force_login(cast.rep_police)
    url = reverse("situation-create", args=[cast.table.pk])
    token = token_from(client.get(url))
    before = Situation.objects.count()

    first = client.post(url, intake_data(_once=token))
    second = client.post(url, intake_data(_once=token))

    assert Situation.objects.count() == before + 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]  # back to the situation the first one made
    assert "This was already recorded; nothing was added twice." in texts(second)


def test_every_page_load_gets_a_fresh_token(client, cast):
    client.force_login(cast.rep_police)
    url = reverse("situation-create", args=[cast.table.pk])
    assert token_from(client.get(url)) != token_from(client.get(url))


def test_a_refused_submission_releases_its_token(client, cast):
    client.force_login(cast.rep_police)
    url = reverse("situation-create", args=[cast.table.pk])
    token = token_from(client.get(url))
    before = Situation.objects.count()

    refused = client.post(url, intake_data(_once=token, narrative="John Smith is behind on rent."))
    assert refused.status_code == 200 and "must be de-identified" in refused.content.decode()
    assert "John Smith" not in refused.content.decode().split("must be de-identified")[1][:300]
    corrected = client.post(url, intake_data(_once=token))

    assert corrected.status_code == 302
    assert Situation.objects.count() == before + 1


def test_tokens_belong_to_the_user_who_sent_them(client, cast):
    url = reverse("situation-create", args=[cast.table.pk])
    client.force_login(cast.rep_police)
    token = token_from(client.get(url))
    client.post(url, intake_data(_once=token))
    other = Client()
    other.force_login(cast.rep_health)
    before = Situation.objects.count()

    response = other.post(url, intake_data(_once=token))

    assert response.status_code == 302
    assert Situation.objects.count() == before + 1


def test_a_replayed_task_in_meeting_mode_adds_one_task(client, cast):
    s = make_situation(cast, status=Status.INTERVENTION)
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    item = services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
    client.force_login(cast.chair)
    mode = reverse("meeting-mode", args=[cast.table.pk, meeting.pk])
    page = client.get(f"{mode}?item={item.pk}")
    assert TOKEN.search(page.content.decode())
    url = reverse("meeting-action", args=[cast.table.pk, meeting.pk, item.pk, "task"])
    data = {
        "task-owner_agency": cast.police.pk,
        "task-description": "Door knock with the outreach nurse",
        "task-due_date": timezone.localdate().isoformat(),
        "_once": "a-token-from-the-page",
    }
    before = Task.objects.filter(situation=s).count()

    first = client.post(url, data, HTTP_HX_REQUEST="true")
    second = client.post(url, data, HTTP_HX_REQUEST="true")

    assert first.status_code == 200 and 'id="item-panel"' in first.content.decode()
    assert Task.objects.filter(situation=s).count() == before + 1
    assert second.status_code == 200 and second["HX-Redirect"]  # the page reloads with a notice
    assert "This was already recorded; nothing was added twice." in texts(second)


def test_a_replay_never_redirects_off_site(client, cast, monkeypatch):
    monkeypatch.setattr("core.once.WAIT_SECONDS", 0.3)
    client.force_login(cast.rep_police)
    IdempotencyKey.objects.create(scope=f"user:{cast.rep_police.pk}", key="form:t1")  # stuck
    url = reverse("situation-create", args=[cast.table.pk])

    response = client.post(url, intake_data(_once="t1"), HTTP_REFERER="https://evil.example/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Situation.objects.filter(narrative__startswith="Youth sleeping").count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs concurrent connections")
def test_two_identical_submits_at_the_same_instant_create_one_situation(cast):
    url = reverse("situation-create", args=[cast.table.pk])
    before = Situation.objects.count()

    def submit():
        c = Client()
        c.force_login(cast.rep_police)
        return c.post(url, intake_data(_once="same-click"))

    outcomes = run_together(submit, submit)

    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    responses = [response for _, response in outcomes]
    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1
    assert Situation.objects.count() == before + 1


def test_a_redirect_that_saved_nothing_does_not_spend_the_token(client, cast):
    """The agreement gate answers an intake with a redirect: nothing was recorded, so after
    accepting the agreement the same form (same token) still creates the situation."""
    from agencies import services as agency_services

    client.force_login(cast.rep_police)
    url = reverse("situation-create", args=[cast.table.pk])
    token = token_from(client.get(url))
    version = agency_services.publish_agreement(
        actor=cast.coordinator, table=cast.table, text="New rules for sharing. " * 5
    )
    before = Situation.objects.count()

    gated = client.post(url, intake_data(_once=token))
    assert gated.status_code == 302 and "agreement" in gated["Location"]
    assert Situation.objects.count() == before
    agency_services.accept_agreement(actor=cast.rep_police, version=version)
    saved = client.post(url, intake_data(_once=token))

    assert saved.status_code == 302 and "agreement" not in saved["Location"]
    assert Situation.objects.count() == before + 1
    assert "already recorded" not in " ".join(texts(saved))


def test_an_htmx_replay_returns_to_the_page_the_form_was_on(client, cast):
    s = make_situation(cast, status=Status.INTERVENTION)
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    item = services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
    client.force_login(cast.chair)
    page = reverse("meeting-mode", args=[cast.table.pk, meeting.pk]) + f"?item={item.pk}"
    url = reverse("meeting-action", args=[cast.table.pk, meeting.pk, item.pk, "task"])
    data = {
        "task-owner_agency": cast.police.pk,
        "task-description": "Door knock with the outreach nurse",
        "task-due_date": timezone.localdate().isoformat(),
        "_once": "htmx-token",
    }
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{page}"}
    client.post(url, data, **headers)

    replay = client.post(url, data, **headers)

    assert replay["HX-Redirect"] == page
    assert client.get(replay["HX-Redirect"]).status_code == 200
