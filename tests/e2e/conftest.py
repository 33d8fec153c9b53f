import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def login(live_server):
    """Sign a page in through the real login form."""

    def sign_in(page, username, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return sign_in


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-CA", "viewport": {"width": 1360, "height": 900}}
