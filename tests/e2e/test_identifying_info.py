"""Filter 3 in a real browser: the originating agency enters a person, the chair discloses,
a disclosed agency reveals (logged), a non-disclosed agency never sees the name."""

import pytest
from playwright.sync_api import expect

from cases.models import Status
from consent.models import AccessEvent
from tests.cases.factories import bring_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_identifying_info_flows_only_to_disclosed_agencies(
    live_server, browser, login, cast, screenshot
):
    # Accepted, with housing and police named at Filter 3 (bring_to names them).
    situation = bring_to(Status.INTERVENTION, cast=cast)
    url = f"{live_server.url}/tables/{cast.table.pk}/situations/{situation.pk}/"

    rep = login(browser.new_page(), "t-rep-police")
    rep.goto(url)
    rep.get_by_role("link", name="Add a person").click()
    rep.get_by_label("Given name").fill("Jordan")
    rep.get_by_label("Family name").fill("Castellanos")
    rep.get_by_label("Date of birth").fill("2009-03-14")
    rep.get_by_label("Address").fill("18 Birchwood Crescent")
    rep.get_by_role("button", name="Save encrypted").click()
    expect(rep.get_by_text("Identifying information saved, encrypted.")).to_be_visible()
    expect(rep.get_by_text("Castellanos")).to_have_count(0)  # not shown until revealed

    chair = login(browser.new_page(), "t-chair")
    chair.goto(url)
    chair.get_by_role("link", name="Disclose at Filter 3").click()
    chair.get_by_label("Test Housing").check()
    chair.get_by_label("Without consent — imminent risk of serious harm").check()
    chair.get_by_label("Justification (required without consent)").fill(
        "Youth missing twice this week with violence in the home."
    )
    screenshot(chair, "filter3-disclosure-form")
    chair.get_by_role("button", name="Record disclosure").click()
    expect(chair.get_by_text("Filter 3 disclosure recorded.")).to_be_visible()
    expect(chair.get_by_text("Castellanos")).to_have_count(0)  # the chair's agency was not named

    housing = login(browser.new_page(), "t-rep-housing")
    housing.goto(url)
    housing.get_by_role("button", name="Reveal identifying information").click()
    expect(housing.get_by_text("Castellanos")).to_be_visible()
    expect(housing.get_by_text("18 Birchwood Crescent")).to_be_visible()
    screenshot(housing, "filter3-revealed")
    assert AccessEvent.objects.filter(user=cast.rep_housing, situation=situation).count() == 1

    health = login(browser.new_page(), "t-rep-health")
    health.goto(url)
    # Health was not named at Filter 3: no Filter 3 card at all, no reveal.
    expect(health.get_by_role("heading", name="Identifying information — Filter 3")).to_have_count(
        0
    )
    expect(health.get_by_role("button", name="Reveal identifying information")).to_have_count(0)
    assert "Castellanos" not in health.content()
