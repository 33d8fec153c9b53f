import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_demo_chair_logs_in_and_sees_home(live_server, page, screenshot):
    call_command("seed_demo", "--quiet-logins")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("chair")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()

    page.get_by_label("Password").fill("situation-table-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Welcome, Dana Whitfield").is_visible()
    assert page.get_by_text("Northside Situation Table").is_visible()
    assert page.get_by_text("Chair", exact=True).is_visible()
    screenshot(page, "home")
