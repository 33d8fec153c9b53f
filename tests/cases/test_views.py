"""The browser UI of the cases app: permissions, bad input, and constant query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    AgendaItem,
    Meeting,
    RiskFactor,
    Situation,
    Status,
    Task,
)

AER = {name: True for name in services.AER_ELEMENTS}
NARRATIVE = "Adult in their 40s, three police calls in ten days, stopped taking medication."


def make_situation(cast, rep=None, status=Status.PRESENTED):
    rep = rep or cast.rep_police
    s = services.create_situation(
        actor=rep,
        table=cast.table,
        subject_type="individual",
        age_group="40-59",
        gender="male",
        narrative=NARRATIVE,
        risk_factors=RiskFactor.objects.filter(code__in=["drugs.person", "housing.homeless"]),
    )
    if status == Status.DRAFT:
        return s
    s = services.attest_filter1(actor=rep, situation=s)
    if status == Status.PRESENTED:
        return s
    s = services.record_filter2_decision(
        actor=cast.chair, situation=s, disposition="accepted", aer_elements=AER
    )
    if status == Status.ACCEPTED:
        return s
    s = services.record_filter3(actor=cast.chair, situation=s, agencies=[cast.police, cast.housing])
    if status == Status.INTERVENTION:
        return s
    services.record_report_back(actor=cast.chair, situation=s, note="Door knock done.")
    return services.conclude_situation(actor=cast.chair, situation=s, reason="connected")


def bulk_history(cast, n):
    """n concluded situations with risk factors, decisions and tasks, fast (bulk_create)."""
    now = timezone.now()
    start = Situation.objects.filter(table=cast.table).count() + 1000
    rows = Situation.objects.bulk_create(
        Situation(
            table=cast.table,
            number=f"{cast.table.code}-2020-{start + i:05d}",
            year=2020,
            sequence=start + i,
            originating_agency=cast.police if i % 2 else cast.housing,
            lead_agency=cast.housing,
            subject_type="individual",
            age_group="18-24",
            gender="female",
            narrative="History.",
            status=Status.CONCLUDED,
            conclusion_reason="risk_lowered",
            created_at=now - datetime.timedelta(days=30 + i),
        )
        for i in range(n)
    )
    factors = list(RiskFactor.objects.all()[:3])
    Through = Situation.risk_factors.through
    Through.objects.bulk_create(
        Through(situation_id=s.pk, riskfactor_id=f.pk) for s in rows for f in factors
    )
    Task.objects.bulk_create(
        Task(
            situation=s,
            owner_agency=cast.police,
            description="Follow up",
            due_date=now.date(),
            done_at=now,
        )
        for s in rows
    )
    return rows


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- Permissions ---------------------------------------------------------------------------------


def table_urls(cast):
    s = make_situation(cast, status=Status.INTERVENTION)
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    item = services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
    task = services.add_task(
        actor=cast.chair,
        situation=s,
        owner_agency=cast.police,
        description="Door knock",
        due_date=timezone.localdate(),
    )
    t = cast.table.pk
    gets = [
        reverse("table-overview", args=[t]),
        reverse("table-members", args=[t]),
        reverse("taxonomy", args=[t]),
        reverse("situation-list", args=[t]),
        reverse("situation-create", args=[t]),
        reverse("situation-detail", args=[t, s.pk]),
        reverse("situation-edit", args=[t, s.pk]),
        reverse("task-list", args=[t]),
        reverse("meeting-list", args=[t]),
        reverse("meeting-create", args=[t]),
        reverse("meeting-detail", args=[t, meeting.pk]),
        reverse("meeting-edit", args=[t, meeting.pk]),
        reverse("meeting-mode", args=[t, meeting.pk]),
    ]
    posts = [
        reverse("situation-attest", args=[t, s.pk]),
        reverse("situation-withdraw", args=[t, s.pk]),
        reverse("task-complete", args=[t, task.pk]),
        reverse("meeting-agenda-change", args=[t, meeting.pk]),
        reverse("meeting-attendance", args=[t, meeting.pk, cast.police.pk]),
        reverse("meeting-action", args=[t, meeting.pk, item.pk, "conclude"]),
    ]
    return s, meeting, gets, posts


def test_member_of_another_table_gets_404_on_every_page(client, cast):
    s, _meeting, gets, posts = table_urls(cast)
    client.force_login(cast.outsider)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert s.number.encode() not in response.content
    for url in posts:
        assert client.post(url, {"action": "fill", "reason": "x"}).status_code == 404, url
    assert Situation.objects.get(pk=s.pk).status == Status.INTERVENTION
    assert not Task.objects.filter(done_at__isnull=False).exists()


def test_table_pages_answer_members(client, cast):
    _s, _meeting, gets, _posts = table_urls(cast)
    client.force_login(cast.chair)
    for url in gets:
        if "/edit/" in url and "/situations/" in url:
            continue  # only the originating agency edits
        assert client.get(url).status_code == 200, url


def test_rep_cannot_manage_meetings_or_record_decisions(client, cast):
    s, meeting, _gets, _posts = table_urls(cast)
    item = AgendaItem.objects.get(meeting=meeting, situation=s)
    client.force_login(cast.rep_housing)
    t = cast.table.pk
    assert client.get(reverse("meeting-create", args=[t])).status_code == 403
    response = client.post(
        reverse("meeting-action", args=[t, meeting.pk, item.pk, "conclude"]),
        {"conclude-reason": "connected"},
    )
    assert response.status_code == 403
    assert Situation.objects.get(pk=s.pk).status == Status.INTERVENTION


def test_rep_of_other_agency_cannot_edit_situation(client, cast):
    # A draft exists only for its originating agency (Filter 1 is internal): 404, not 403.
    s = make_situation(cast, status=Status.DRAFT)
    client.force_login(cast.rep_housing)
    url = reverse("situation-edit", args=[cast.table.pk, s.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"narrative": "Changed."}).status_code == 404
    assert Situation.objects.get(pk=s.pk).narrative == NARRATIVE
    # Once presented, the table knows of it, and the other agency still may not edit it.
    s = make_situation(cast, status=Status.PRESENTED)
    url = reverse("situation-edit", args=[cast.table.pk, s.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"narrative": "Changed."}).status_code == 403
    assert Situation.objects.get(pk=s.pk).narrative == NARRATIVE


def test_privacy_officer_cannot_log_situations(client, cast):
    client.force_login(cast.privacy)
    assert client.get(reverse("situation-create", args=[cast.table.pk])).status_code == 403


# --- Intake and bad input ------------------------------------------------------------------------


def intake_data(**overrides):
    data = {
        "subject_type": "individual",
        "age_group": "18-24",
        "gender": "female",
        "narrative": "Youth sleeping outside after leaving a shelter, two overdoses this week.",
        "risk_factors": [
            RiskFactor.objects.get(code="drugs.overdose").pk,
            RiskFactor.objects.get(code="housing.homeless").pk,
        ],
        "affected-TOTAL_FORMS": "2",
        "affected-INITIAL_FORMS": "0",
        "affected-MIN_NUM_FORMS": "0",
        "affected-MAX_NUM_FORMS": "10",
        "affected-0-relationship": "sibling",
        "affected-0-age_group": "12-15",
        "affected-0-count": "1",
    }
    data.update(overrides)
    return data


def test_rep_logs_a_situation_as_draft(client, cast):
    client.force_login(cast.rep_police)
    response = client.post(reverse("situation-create", args=[cast.table.pk]), intake_data())
    s = Situation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("situation-detail", args=[cast.table.pk, s.pk])
    assert s.status == Status.DRAFT
    assert s.originating_agency == cast.police
    assert s.number == f"NTT-{timezone.now().year}-0001"
    assert s.risk_factors.count() == 2
    assert list(s.affected_persons.values_list("relationship", "count")) == [("sibling", 1)]
    detail = client.get(response.url).content.decode()
    assert "Overdose risk" in detail
    assert "Attest Filter 1" in detail


def test_empty_intake_shows_errors_and_keeps_input(client, cast):
    client.force_login(cast.rep_police)
    data = intake_data(narrative="", risk_factors=[], age_group="")
    data["gender"] = "male"
    response = client.post(reverse("situation-create", args=[cast.table.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose at least one risk factor." in body
    assert "This field is required." in body
    assert '<option value="male" selected>' in body
    assert not Situation.objects.exists()


def test_unknown_risk_factor_id_is_an_error(client, cast):
    client.force_login(cast.rep_police)
    response = client.post(
        reverse("situation-create", args=[cast.table.pk]), intake_data(risk_factors=[999999])
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Situation.objects.exists()


def test_narrative_with_identifying_information_is_refused(client, cast):
    client.force_login(cast.rep_police)
    narrative = "Mr. Tremblay at 42 Elm Street, call 613-555-0199."
    response = client.post(
        reverse("situation-create", args=[cast.table.pk]), intake_data(narrative=narrative)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "must be de-identified" in body
    assert "a phone number" in body
    assert not Situation.objects.exists()


def test_incomplete_affected_person_row_is_an_error(client, cast):
    client.force_login(cast.rep_police)
    response = client.post(
        reverse("situation-create", args=[cast.table.pk]),
        intake_data(**{"affected-0-count": ""}),
    )
    assert response.status_code == 200
    assert "Give the relationship, age group and number" in response.content.decode()
    assert not Situation.objects.exists()


def test_editing_a_concluded_situation_is_refused_clearly(client, cast):
    s = make_situation(cast, status=Status.CONCLUDED)
    client.force_login(cast.rep_police)
    url = reverse("situation-edit", args=[cast.table.pk, s.pk])
    response = client.post(url, intake_data(narrative="Changed narrative."), follow=True)
    assert "can no longer be edited" in response.content.decode()
    assert Situation.objects.get(pk=s.pk).narrative == NARRATIVE


def test_originator_edits_a_draft(client, cast):
    s = make_situation(cast, status=Status.DRAFT)
    client.force_login(cast.rep_police)
    url = reverse("situation-edit", args=[cast.table.pk, s.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, intake_data(narrative="Updated: four calls now."))
    assert response.status_code == 302
    assert Situation.objects.get(pk=s.pk).narrative == "Updated: four calls now."


def test_attest_filter1_from_detail_page(client, cast):
    s = make_situation(cast, status=Status.DRAFT)
    client.force_login(cast.rep_police)
    client.post(reverse("situation-attest", args=[cast.table.pk, s.pk]))
    assert Situation.objects.get(pk=s.pk).status == Status.PRESENTED
    response = client.post(reverse("situation-attest", args=[cast.table.pk, s.pk]), follow=True)
    assert "Only a draft can be attested" in response.content.decode()


# --- Meeting mode --------------------------------------------------------------------------------


@pytest.fixture
def meeting_with_item(cast):
    s = make_situation(cast, status=Status.PRESENTED)
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    item = services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
    return s, meeting, item


def action_url(cast, meeting, item, action):
    return reverse("meeting-action", args=[cast.table.pk, meeting.pk, item.pk, action])


def test_chair_accepts_in_meeting_mode_without_reload(client, cast, meeting_with_item):
    s, meeting, item = meeting_with_item
    client.force_login(cast.chair)
    data = {"f2-disposition": "accepted", **{f"f2-{k}": "on" for k in AER}}
    response = client.post(action_url(cast, meeting, item, "f2"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="item-panel"' in body and "<html" not in body
    assert 'hx-swap-oob="true"' in body  # the agenda sidebar refreshes too
    assert "Filter 3 — agencies that may be involved" in body
    s.refresh_from_db()
    assert s.status == Status.ACCEPTED
    assert s.decisions.get().meeting == meeting
    assert AgendaItem.objects.get(pk=item.pk).discussed_at is not None


def test_meeting_mode_decision_error_is_shown_and_nothing_changes(client, cast, meeting_with_item):
    s, meeting, item = meeting_with_item
    client.force_login(cast.chair)
    response = client.post(
        action_url(cast, meeting, item, "f2"),
        {"f2-disposition": "accepted", "f2-aer_significant_interest": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "needs all four elements" in response.content.decode()
    assert Situation.objects.get(pk=s.pk).status == Status.PRESENTED


def test_meeting_mode_without_htmx_redirects_and_bad_input_is_400(client, cast, meeting_with_item):
    s, meeting, item = meeting_with_item
    client.force_login(cast.chair)
    bad = client.post(action_url(cast, meeting, item, "f2"), {"f2-disposition": "rejected"})
    assert bad.status_code == 400
    assert "Give the reason for this decision." in bad.content.decode()
    ok = client.post(
        action_url(cast, meeting, item, "f2"),
        {"f2-disposition": "rejected", "f2-reason": "Agency can manage alone."},
    )
    assert ok.status_code == 302
    assert Situation.objects.get(pk=s.pk).status == Status.REJECTED


def test_task_with_past_due_date_is_refused(client, cast):
    s = make_situation(cast, status=Status.INTERVENTION)
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    item = services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
    client.force_login(cast.chair)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        action_url(cast, meeting, item, "task"),
        {
            "task-owner_agency": cast.police.pk,
            "task-description": "Door knock",
            "task-due_date": yesterday.isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert "The due date cannot be in the past." in response.content.decode()
    assert not Task.objects.exists()


def test_unknown_meeting_action_is_404(client, cast, meeting_with_item):
    _s, meeting, item = meeting_with_item
    client.force_login(cast.chair)
    assert client.post(action_url(cast, meeting, item, "explode")).status_code == 404
    assert client.get(action_url(cast, meeting, item, "f2")).status_code == 405


def test_attendance_check_in_with_htmx(client, cast, meeting_with_item):
    _s, meeting, _item = meeting_with_item
    client.force_login(cast.coordinator)
    url = reverse("meeting-attendance", args=[cast.table.pk, meeting.pk, cast.housing.pk])
    response = client.post(url, {"present": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert meeting.attendance.get(agency=cast.housing).present is True
    other = Meeting.objects.create(table=cast.other_table, scheduled_at=timezone.now())
    assert (
        client.post(
            reverse("meeting-attendance", args=[cast.table.pk, other.pk, cast.housing.pk])
        ).status_code
        == 404
    )


def test_rep_completes_own_task_but_not_another_agencys(client, cast):
    s = make_situation(cast, status=Status.INTERVENTION)
    own = services.add_task(
        actor=cast.chair,
        situation=s,
        owner_agency=cast.police,
        description="Door knock",
        due_date=timezone.localdate(),
    )
    other = services.add_task(
        actor=cast.chair,
        situation=s,
        owner_agency=cast.housing,
        description="Intake",
        due_date=timezone.localdate(),
    )
    client.force_login(cast.rep_police)
    t = cast.table.pk
    assert client.post(reverse("task-complete", args=[t, own.pk])).status_code == 302
    assert client.post(reverse("task-complete", args=[t, other.pk])).status_code == 403
    assert Task.objects.get(pk=own.pk).done_at is not None
    assert Task.objects.get(pk=other.pk).done_at is None


# --- Query counts --------------------------------------------------------------------------------


def test_situation_list_query_count_is_constant(client, cast):
    client.force_login(cast.rep_police)
    url = reverse("situation-list", args=[cast.table.pk])
    bulk_history(cast, 5)
    small = count_queries(client, url)
    bulk_history(cast, 195)
    assert Situation.objects.count() == 200
    assert count_queries(client, url) == small


def test_meeting_mode_and_overview_query_counts_are_constant(client, cast):
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    for _ in range(3):
        s = make_situation(cast, status=Status.INTERVENTION)
        services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
    client.force_login(cast.chair)
    urls = [
        reverse("meeting-mode", args=[cast.table.pk, meeting.pk]),
        reverse("meeting-detail", args=[cast.table.pk, meeting.pk]),
        reverse("table-overview", args=[cast.table.pk]),
        reverse("task-list", args=[cast.table.pk]),
    ]
    bulk_history(cast, 5)
    small = [count_queries(client, url) for url in urls]
    bulk_history(cast, 195)
    assert [count_queries(client, url) for url in urls] == small


def test_situation_detail_query_count_does_not_grow_with_its_history(client, cast):
    s = make_situation(cast, status=Status.INTERVENTION)
    client.force_login(cast.chair)
    url = reverse("situation-detail", args=[cast.table.pk, s.pk])
    small = count_queries(client, url)
    for i in range(10):
        services.add_task(
            actor=cast.chair,
            situation=s,
            owner_agency=cast.police,
            description=f"Step {i}",
            due_date=timezone.localdate(),
        )
        services.record_report_back(actor=cast.chair, situation=s, note=f"Update {i}.")
    assert count_queries(client, url) == small


def test_taxonomy_page_lists_stable_codes(client, cast):
    client.force_login(cast.rep_housing)
    body = client.get(reverse("taxonomy", args=[cast.table.pk])).content.decode()
    assert "drugs.overdose" in body and "Overdose risk" in body
    assert "opioids" in body


def test_operators_manage_the_taxonomy_in_the_admin(client, db):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("operator", "op@example.invalid", "x-pass-1")
    client.force_login(admin)
    body = client.get("/admin/cases/riskcategory/").content.decode()
    assert "mental-health" in body
    assert client.get("/admin/cases/situation/add/").status_code == 403
