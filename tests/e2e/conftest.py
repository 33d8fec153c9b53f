import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def login(live_server):
    """Sign a page in through the real login form.

    ``landing`` is where the sign-in should end: the home page, or (with two-factor enforced, as
    in production) the code or setup page, e.g. ``landing="/accounts/two-factor/**"``.
    """

    def sign_in(page, username, password=PASSWORD, landing="/"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}{landing}")
        return page

    return sign_in


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-CA", "viewport": {"width": 1360, "height": 900}}
