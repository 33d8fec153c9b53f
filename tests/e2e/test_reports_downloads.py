"""Reports in a real browser: the meeting summary download and the statistics charts."""

import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from cases import services
from cases.models import RiskFactor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AER = dict.fromkeys(services.AER_ELEMENTS, True)


def decided_meeting(cast):
    """This week's meeting: one situation accepted and planned, one rejected, attendance taken."""
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    numbers = []
    for disposition in ("accepted", "rejected"):
        s = services.create_situation(
            actor=cast.rep_police,
            table=cast.table,
            subject_type="individual",
            age_group="18-24",
            gender="male",
            narrative="Young adult in four overdose calls in ten days, sleeping outside.",
            risk_factors=RiskFactor.objects.filter(code__in=["drugs.overdose", "housing.homeless"]),
        )
        s = services.attest_filter1(actor=cast.rep_police, situation=s)
        services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=s)
        s = services.record_filter2_decision(
            actor=cast.chair,
            situation=s,
            disposition=disposition,
            reason="" if disposition == "accepted" else "The agency can manage alone.",
            aer_elements=AER,
            meeting=meeting,
        )
        if disposition == "accepted":
            s = services.record_filter3(
                actor=cast.chair, situation=s, agencies=[cast.police, cast.housing], meeting=meeting
            )
            services.plan_intervention(
                actor=cast.chair,
                situation=s,
                lead_agency=cast.police,
                assisting_agencies=[cast.housing],
                meeting=meeting,
            )
        numbers.append(s.number)
    for agency in (cast.police, cast.housing):
        services.record_attendance(
            actor=cast.coordinator, meeting=meeting, agency=agency, present=True
        )
    return meeting, numbers


def test_coordinator_downloads_the_meeting_summary_pdf(
    live_server, browser, login, cast, screenshot
):
    meeting, numbers = decided_meeting(cast)
    page = login(browser.new_page(), "t-coordinator")
    page.goto(f"{live_server.url}/tables/{cast.table.pk}/meetings/{meeting.pk}/")
    expect(page.get_by_role("heading", name="Meeting summary")).to_be_visible()
    screenshot(page, "meeting-detail-summary-block")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download summary (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("meeting-summary-NTT-")
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    for number in numbers:
        assert number in text
    assert "TestPolice" in text and "TestHousing" in text
    assert "overdose" not in text  # the narrative stays out of the summary

    with page.expect_download() as csv_info:
        page.get_by_role("link", name="Download summary (CSV)").click()
    assert csv_info.value.suggested_filename.endswith(".csv")


def test_representative_sees_no_summary_download(live_server, browser, login, cast):
    meeting, _numbers = decided_meeting(cast)
    page = login(browser.new_page(), "t-rep-police")
    page.goto(f"{live_server.url}/tables/{cast.table.pk}/meetings/{meeting.pk}/")
    expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
    expect(page.get_by_role("link", name="Download summary (PDF)")).to_have_count(0)
    expect(page.get_by_role("link", name="Statistics")).to_have_count(0)


def test_statistics_dashboard_draws_every_chart_from_local_files(
    live_server, browser, login, cast, screenshot
):
    decided_meeting(cast)
    page = login(browser.new_page(), "t-coordinator")
    errors, remote = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include Content-Security-Policy violations (an inline script, a CDN).
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on(
        "request",
        lambda request: (
            remote.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    page.get_by_role("link", name=cast.table.name).first.click()
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Statistics", exact=True)).to_be_visible()
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(13)
    # Every chart either drew a canvas or says there is nothing to show.
    expect(page.locator("[data-chart] canvas, [data-chart] p.muted")).to_have_count(13)
    assert page.locator("[data-chart] canvas").count() >= 8
    page.get_by_text("Show the numbers").first.click()
    expect(page.get_by_role("columnheader", name="Accepted").first).to_be_visible()
    screenshot(page, "statistics-dashboard")
    assert errors == []
    assert remote == []  # Chart.js is served locally: no CDN

    page.get_by_role("link", name="Exports").click()
    page.get_by_role("link", name="Prepare a public report").click()
    expect(page.get_by_role("heading", name="Situations discussed, by quarter")).to_be_visible()
    screenshot(page, "public-report")
