"""A situation's whole life in a real browser: intake, meeting mode, conclusion."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.models import Situation, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rep_logs_situation_and_chair_takes_it_through_the_filters(
    live_server, browser, login, cast, screenshot
):
    t = cast.table.pk
    # 1. The police representative logs a de-identified situation and attests Filter 1.
    rep = login(browser.new_page(), "t-rep-police")
    rep.goto(f"{live_server.url}/tables/{t}/situations/new/")
    rep.get_by_label("Age group").select_option("18-24")
    rep.get_by_label("Gender").select_option("male")
    rep.get_by_label("De-identified narrative").fill(
        "Young adult in four overdose calls in ten days, sleeping outside."
    )
    rep.get_by_placeholder("Search risk factors…").fill("overdose")
    expect(rep.get_by_text("Drug use — in the home")).to_be_hidden()
    rep.get_by_label("Overdose risk").check()
    rep.get_by_placeholder("Search risk factors…").fill("homeless")
    rep.get_by_label("Homeless / transient").check()
    screenshot(rep, "situation-intake")
    rep.get_by_role("button", name="Save as draft").click()
    expect(rep.get_by_text("saved as a draft")).to_be_visible()
    rep.get_by_role("button", name="Attest Filter 1").click()
    expect(rep.get_by_text("can go on the next agenda")).to_be_visible()
    situation = Situation.objects.get()
    assert situation.status == Status.PRESENTED
    screenshot(rep, "situation-detail-presented")

    # 2. The coordinator has scheduled this week's meeting; the agenda fills itself.
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    services.fill_agenda(actor=cast.coordinator, meeting=meeting)

    # 3. The chair runs meeting mode: F2 accept, F3 agencies, F4 plan and a task.
    chair = login(browser.new_page(), "t-chair")
    chair.goto(f"{live_server.url}/tables/{t}/meetings/{meeting.pk}/mode/")
    expect(chair.get_by_role("heading", name=situation.number)).to_be_visible()
    chair.get_by_label("A significant interest is at stake").check()
    chair.get_by_label("There is a probability of harm").check()
    chair.get_by_label("The harm would be severe").check()
    chair.get_by_label("The risk spans several sectors").check()
    chair.get_by_label("Accepted — acutely elevated risk").check()
    screenshot(chair, "meeting-mode-filter2")
    url_before = chair.url
    chair.get_by_role("button", name="Record Filter 2 decision").click()
    expect(chair.get_by_text("Filter 3 — agencies that may be involved")).to_be_visible()
    assert chair.url == url_before  # swapped in place, no page load

    f3 = chair.locator("form.decision-form")
    f3.get_by_label("Test Police").check()
    f3.get_by_label("Test Housing").check()
    chair.get_by_role("button", name="Record Filter 3").click()
    expect(chair.get_by_text("Filter 4 — lead and assisting agencies")).to_be_visible()

    chair.get_by_label("Lead agency").select_option(label="Test Police")
    plan = chair.locator("[data-form=plan]")
    # Filter 4 starts from the agencies named at Filter 3.
    expect(plan.get_by_label("Test Housing")).to_be_checked()
    plan.get_by_label("Test Housing").check()
    plan.get_by_label("Plan").fill("Joint door knock within 48 hours.")
    chair.get_by_role("button", name="Save plan").click()
    expect(chair.get_by_text("Lead: TPS. Assisting: THC.")).to_be_visible()

    due = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    # After the plan, the next step (report back) is the open form: the plan keeps its values.
    expect(chair.locator("[data-form=report]")).to_have_attribute("open", "")
    expect(plan.get_by_label("Plan")).to_have_value("Joint door knock within 48 hours.")
    task_form = chair.locator("[data-form=task]")
    task_form.locator("summary").click()
    task_form.get_by_label("Owner agency").select_option(label="Test Housing")
    task_form.get_by_label("Task").fill("Door knock with police")
    task_form.get_by_label("Due date").fill(due)
    chair.get_by_role("button", name="Add task").click()
    expect(chair.get_by_text("THC — Door knock with police")).to_be_visible()
    screenshot(chair, "meeting-mode-filter4")

    situation.refresh_from_db()
    assert situation.status == Status.INTERVENTION
    assert situation.lead_agency == cast.police
    assert list(situation.assisting_agencies.all()) == [cast.housing]
    assert situation.tasks.get().owner_agency == cast.housing

    # 4. At the next meeting the situation returns for report-back and is concluded.
    later = services.create_meeting(
        actor=cast.coordinator,
        table=cast.table,
        scheduled_at=timezone.now() + datetime.timedelta(days=7),
    )
    services.fill_agenda(actor=cast.coordinator, meeting=later)
    chair.goto(f"{live_server.url}/tables/{t}/meetings/{later.pk}/mode/")
    expect(chair.get_by_text("Returning — report back").first).to_be_visible()
    chair.locator("textarea[name=report-note]").fill(
        "Door knock done; person accepted a detox bed."
    )
    chair.get_by_role("button", name="Record report back").click()
    expect(chair.get_by_text("Door knock done; person accepted a detox bed.")).to_be_visible()
    # Concluding asks for an outcome (no default), what happens to the open task, and a
    # confirmation; without them nothing is concluded.
    chair.get_by_role("button", name="Conclude situation").click()
    expect(chair.get_by_text("Tick to confirm the conclusion.")).to_be_visible()
    situation.refresh_from_db()
    assert situation.status == Status.INTERVENTION
    chair.get_by_label("Conclusion").select_option(label="Still AER — connected to services")
    chair.get_by_label("Open tasks").select_option(label="Keep them open with their agencies")
    chair.get_by_label("I confirm the table concludes this situation").check()
    chair.get_by_role("button", name="Conclude situation").click()
    expect(chair.get_by_role("heading", name=situation.number)).to_contain_text("Concluded")
    screenshot(chair, "meeting-mode-concluded")

    situation.refresh_from_db()
    assert situation.status == Status.CONCLUDED
    assert situation.conclusion_reason == "connected"
    assert list(situation.decisions.values_list("meeting_id", flat=True).distinct()) == [
        meeting.pk,
        later.pk,
    ] or set(situation.decisions.values_list("meeting_id", flat=True)) == {meeting.pk, later.pk}

    # The rep sees the whole timeline on the situation page.
    rep.goto(f"{live_server.url}/tables/{t}/situations/{situation.pk}/")
    expect(rep.get_by_text("Filter 2: accepted as AER")).to_be_visible()
    expect(rep.get_by_text("Concluded").first).to_be_visible()
    screenshot(rep, "situation-detail-concluded")
