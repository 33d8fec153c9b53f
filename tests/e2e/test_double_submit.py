"""A second click on a form's submit button while the first is on its way sends nothing more:
the button is disabled as soon as the form is submitted (static/js/app.js)."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_double_click_on_save_submits_the_form_once(page, live_server, login, cast):
    login(page, cast.coordinator.username)
    page.goto(f"{live_server.url}/tables/{cast.table.pk}/meetings/new/")
    # Count the submissions that get past the page's own handler, and keep the page here.
    page.evaluate(
        """() => {
          window.submissions = 0;
          document.addEventListener("submit", (e) => {
            window.submissions += 1;
            e.preventDefault();
          });
        }"""
    )
    button = page.locator("main form[method=post] button[type=submit]").first
    button.click()
    page.wait_for_function(
        "() => document.querySelector('main form[method=post] button[type=submit]').disabled"
    )
    button.click(force=True)
    button.dispatch_event("click")
    assert page.evaluate("window.submissions") == 1
    assert button.get_attribute("aria-busy") == "true"
