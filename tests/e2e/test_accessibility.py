"""WCAG 2.1 AA: axe-core in real Chromium finds no serious or critical violation on the main
pages, for the people who use them, in English and French."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agencies.models import Table
from agencies.permissions import get_table_access
from cases.models import Meeting, Situation, Status
from cases.selectors import agenda

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def serious_violations(page):
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    assert len(results.response["passes"]) > 10  # axe really examined the page
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--quiet-logins")
    table = Table.objects.get(code="NST")
    return {
        "table": table,
        "today": Meeting.objects.filter(table=table).order_by("-scheduled_at")[1],
        "intervention": Situation.objects.filter(table=table, status=Status.INTERVENTION).first(),
    }


def sign_in(page, live_server, username):
    user = get_user_model().objects.get(username=username)
    user.set_password("axe-check-password")
    user.save()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("axe-check-password")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_main_pages_have_no_serious_accessibility_violations(live_server, browser, demo, language):
    t = demo["table"].pk
    pages = {
        "chair": [
            "/",
            f"/tables/{t}/",
            f"/tables/{t}/situations/",
            f"/tables/{t}/situations/{demo['intervention'].pk}/",
            f"/tables/{t}/meetings/",
            f"/tables/{t}/meetings/{demo['today'].pk}/",
            f"/tables/{t}/meetings/{demo['today'].pk}/mode/",
            f"/tables/{t}/meetings/{demo['today'].pk}/follow/",
            f"/tables/{t}/situations/new/",
            f"/tables/{t}/tasks/",
            f"/tables/{t}/reports/statistics/",
            f"/tables/{t}/reports/public/",
            "/notifications/",
        ],
        "coordinator": [f"/tables/{t}/members/", f"/tables/{t}/reports/"],
        "privacy": [f"/tables/{t}/privacy/", f"/tables/{t}/privacy/?tab=audit"],
    }
    context = browser.new_context(locale="fr-CA" if language == "fr" else "en-CA")
    anonymous = context.new_page()
    anonymous.goto(f"{live_server.url}/accounts/login/")
    found = {"/accounts/login/": serious_violations(anonymous)}
    context.close()
    for username, urls in pages.items():
        context = browser.new_context(locale="fr-CA" if language == "fr" else "en-CA")
        page = context.new_page()
        sign_in(page, live_server, username)
        if language == "fr":
            page.evaluate("document.cookie = 'django_language=fr; path=/'")
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            found[f"{username} {url}"] = serious_violations(page)
        context.close()
    problems = {url: v for url, v in found.items() if v}
    assert not problems, problems


def _main_pages(demo) -> dict[str, list[str]]:
    t, today = demo["table"].pk, demo["today"].pk
    return {
        "chair": [
            "/",
            f"/tables/{t}/",
            f"/tables/{t}/situations/",
            f"/tables/{t}/situations/{demo['intervention'].pk}/",
            f"/tables/{t}/situations/new/",
            f"/tables/{t}/meetings/",
            f"/tables/{t}/meetings/{today}/",
            f"/tables/{t}/meetings/{today}/mode/",
            f"/tables/{t}/tasks/",
            f"/tables/{t}/reports/statistics/",
            f"/tables/{t}/reports/public/",
            "/notifications/",
            "/accounts/two-factor/",
        ],
        "coordinator": [f"/tables/{t}/members/", f"/tables/{t}/reports/"],
        "privacy": [f"/tables/{t}/privacy/", f"/tables/{t}/privacy/?tab=audit"],
        "rep-housing": [
            f"/tables/{t}/",
            f"/tables/{t}/meetings/{today}/follow/",
            f"/tables/{t}/tasks/",
        ],
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_scrolls_sideways_on_a_phone(live_server, browser, demo, language, screenshot):
    """Issue 16, part 7: at 390 px (a phone) every page lays out within the screen: the header
    collapses, wide tables scroll inside their card, never the page."""
    wide = {}
    for username, urls in _main_pages(demo).items():
        context = browser.new_context(
            locale="fr-CA" if language == "fr" else "en-CA",
            viewport={"width": 390, "height": 844},
            has_touch=True,
        )
        page = context.new_page()
        sign_in(page, live_server, username)
        if language == "fr":
            page.evaluate("document.cookie = 'django_language=fr; path=/'")
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            width, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if width > inner:
                wide[f"{username} {url}"] = width
        if username == "rep-housing" and language == "en":
            page.goto(f"{live_server.url}{urls[1]}")
            screenshot(page, "follow-phone-390")
        context.close()
    assert not wide, f"pages wider than the 390 px screen: {wide}"


def test_meeting_mode_works_with_the_keyboard_alone(live_server, browser, demo):
    meeting = demo["today"]
    page = browser.new_context(locale="en-CA").new_page()
    sign_in(page, live_server, "chair")
    page.goto(f"{live_server.url}/tables/{demo['table'].pk}/meetings/{meeting.pk}/mode/")
    first = page.locator("#item-heading").inner_text().split()[0]

    # Alt+N moves to the next agenda item and puts focus on its heading.
    page.keyboard.press("Alt+n")
    page.wait_for_function(
        "first => !document.querySelector('#item-heading').innerText.startsWith(first)", arg=first
    )
    # htmx settles the swap a moment later; focus moves then (bounded wait, no sleep).
    page.wait_for_function("() => document.activeElement?.id === 'item-heading'")

    # Walk with Tab to a presented situation's Filter 2 form and decide it with keys only.
    chair = get_table_access(get_user_model().objects.get(username="chair"), demo["table"].pk)
    presented = next(i for i in agenda(chair, meeting) if i.situation.status == Status.PRESENTED)
    page.goto(
        f"{live_server.url}/tables/{demo['table'].pk}/meetings/{meeting.pk}/mode/"
        f"?item={presented.pk}"
    )
    checkbox = page.get_by_label("A significant interest is at stake")
    checkbox.focus()
    for _ in range(4):  # the four AER elements, one Tab apart
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.value") != "accepted":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    while page.evaluate("document.activeElement.type") != "submit":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Filter 3 — agencies that may be involved").wait_for()
    presented.situation.refresh_from_db()
    assert presented.situation.status == Status.ACCEPTED
