"""The Notifications page in a real browser: what the chair sees after a sweep."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Situation, Task
from notifications import services
from notifications.models import Kind, Notification
from tests.conftest import PASSWORD

from . import builders as b

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_chair_reads_notifications_and_turns_off_the_digest(
    live_server, page, named_cast, reference_data, settings, screenshot
):
    cast, seeded_names = named_cast
    settings.NOTIFICATION_DIGEST_WEEKDAY = 0
    settings.NOTIFICATION_DIGEST_HOUR = 0
    now = timezone.now()
    presented = b.situation(cast, stage="presented")
    no_lead = b.situation(cast, stage="accepted")
    led = b.situation(cast, stage="intervention", lead=cast.police)
    b.meeting(cast, now + datetime.timedelta(minutes=100), agenda=[presented, no_lead, led])
    late = b.task(cast, led, owner=cast.health, due=timezone.localdate())
    Task.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(4))
    Situation.objects.filter(pk=no_lead.pk).update(f2_decided_at=now - datetime.timedelta(hours=52))
    services.sweep()  # eager: the emails go out at once
    Notification.objects.filter(recipient=cast.chair, kind=Kind.WEEKLY_DIGEST).update(read_at=now)

    sign_in(page, live_server, "t-chair")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications")
    expect(nav_link).to_contain_text("4")
    nav_link.click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first.get_by_text("New")).to_be_visible()
    first_contact = f"No first contact recorded for {no_lead.number}"
    expect(page.get_by_role("link", name=first_contact)).to_be_visible()
    expect(
        page.get_by_role("link", name=f"Escalation: a task of THE for {led.number}")
    ).to_be_visible()
    content = page.content()
    for secret in (*seeded_names, b.NARRATIVE, b.TASK_DESCRIPTION):
        assert secret not in content.replace("Evangeline Thistlewood", "")  # the chair's own menu
    screenshot(page, "notifications")

    page.get_by_role("link", name=first_contact).click()
    page.wait_for_url(f"**/tables/{cast.table.pk}/situations/{no_lead.pk}/")
    page.goto(f"{live_server.url}/notifications/")
    expect(nav_link).to_contain_text("3")

    page.get_by_label("Email me a weekly digest").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your email preferences are saved.")).to_be_visible()
    expect(page.get_by_label("Email me a weekly digest")).not_to_be_checked()

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All notifications are marked as read.")).to_be_visible()
    expect(nav_link).to_have_text("Notifications")
    screenshot(page, "notifications-read")
