"""Onboarding in a real browser: invitation → password → agreement → orientation → the table;
and a chair setting up two-factor authentication with a real TOTP code."""

import base64
import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from agencies import services
from agencies.models import Invitation, Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-calm-long-passphrase-2026"
AGREEMENT = (
    "Information-sharing agreement — Northside Test Table\n\n"
    "1. Purpose. Member agencies respond together to situations of acutely elevated risk.\n\n"
    "2. Disclosure. Identifying information is shared only at Filter 3, only with the agencies "
    "named by the chair, and only what they need.\n\n"
    "3. Confidentiality. What is said at the table stays at the table."
)


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)


def test_invited_person_joins_accepts_the_agreement_and_reaches_the_table(
    live_server, browser, login, cast, screenshot, settings
):
    settings.SITE_URL = live_server.url  # links in emails point at this test server
    version = services.publish_agreement(actor=cast.coordinator, table=cast.table, text=AGREEMENT)
    services.accept_agreement(actor=cast.coordinator, version=version)
    t = cast.table.pk

    # 1. The coordinator invites a housing worker from the Members page.
    coordinator = login(browser.new_page(), "t-coordinator")
    coordinator.goto(f"{live_server.url}/tables/{t}/members/")
    coordinator.get_by_label("Email").fill("sam.rivera@example.invalid")
    coordinator.get_by_label("Agency").select_option(label="Test Housing")
    coordinator.get_by_label("Role").select_option(label="Agency representative")
    coordinator.get_by_role("button", name="Send invitation").click()
    expect(coordinator.get_by_text("Invitation sent.")).to_be_visible()
    expect(
        coordinator.get_by_role("cell", name="sam.rivera@example.invalid", exact=True)
    ).to_be_visible()
    screenshot(coordinator, "members-coordinator")

    [email] = mail.outbox
    link = link_in(email)
    assert "Northside" not in email.body

    # 2. The invitee opens the link in their own browser and sets a password.
    invitee = browser.new_context().new_page()
    invitee.goto(link)
    invitee.wait_for_url(f"{live_server.url}/invitations/accept/")
    expect(invitee.get_by_role("heading", name="Join Northside Test Table")).to_be_visible()
    expect(invitee.get_by_label("Username")).to_have_value("sam.rivera@example.invalid")
    invitee.get_by_label("First name").fill("Sam")
    invitee.get_by_label("Last name").fill("Rivera")
    invitee.get_by_label(re.compile(r"^Password(?! again)")).fill(NEW_PASSWORD)
    invitee.get_by_label("Password again").fill(NEW_PASSWORD)
    screenshot(invitee, "invitation-accept")
    invitee.get_by_role("button", name="Create my account").click()

    # 3. Before any situation: the agreement.
    invitee.wait_for_url(f"{live_server.url}/tables/{t}/agreement/")
    expect(invitee.get_by_text("3. Confidentiality.")).to_be_visible()
    screenshot(invitee, "agreement")
    invitee.goto(f"{live_server.url}/tables/{t}/situations/")
    invitee.wait_for_url(re.compile(rf".*/tables/{t}/agreement/\?next=.*"))
    invitee.get_by_role("button", name="Accept the agreement").click()
    expect(invitee.get_by_text("Tick the box")).to_be_visible()
    invitee.get_by_label("I have read this agreement and will follow it.").check()
    invitee.get_by_role("button", name="Accept the agreement").click()
    invitee.wait_for_url(f"{live_server.url}/tables/{t}/situations/")

    # 4. The orientation, then the table.
    invitee.goto(f"{live_server.url}/tables/{t}/orientation/")
    expect(invitee.get_by_role("heading", name="The four filters")).to_be_visible()
    expect(
        invitee.get_by_role("heading", name="Your duties as Agency representative")
    ).to_be_visible()
    screenshot(invitee, "orientation")
    invitee.get_by_role("link", name="Go to the table").click()
    invitee.wait_for_url(f"{live_server.url}/tables/{t}/")
    expect(invitee.locator(".subheader .table-name")).to_have_text("Northside Test Table")
    membership = Membership.objects.get(user__username="sam.rivera@example.invalid")
    assert (membership.agency, membership.role) == (cast.housing, "representative")

    # 5. The same link a second time: refused, clearly.
    again = browser.new_context().new_page()
    response = again.goto(link)
    assert response.status == 410
    expect(again.get_by_role("heading", name="This invitation was already used")).to_be_visible()
    screenshot(again, "invitation-used")


def test_expired_invitation_shows_a_clear_page(live_server, page, cast, screenshot):
    issued = services.invite_member(
        actor=cast.coordinator,
        table=cast.table,
        agency=cast.police,
        role="representative",
        email="late@example.invalid",
    )
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = page.goto(f"{live_server.url}/invitations/{issued.token}/")
    assert response.status == 410
    expect(page.get_by_role("heading", name="This invitation has expired")).to_be_visible()
    screenshot(page, "invitation-expired")


def test_chair_sets_up_two_factor_with_an_authenticator(
    live_server, page, login, cast, screenshot, settings
):
    settings.OTP_ENFORCED = True
    login(page, "t-chair", landing="/accounts/two-factor/setup/**")
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.locator(".qr-code svg")).to_be_visible()
    screenshot(page, "otp-setup")
    # Nothing is stored before the code is confirmed: type the key the page shows, as a person
    # would into an authenticator app.
    assert not TOTPDevice.objects.filter(user=cast.chair).exists()
    manual_key = page.locator(".manual-key").inner_text().replace(" ", "")
    key = base64.b32decode(manual_key)
    page.get_by_role("textbox", name="Code", exact=True).fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    screenshot(page, "otp-backup-codes")
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("Northside Test Table")).to_be_visible()

    # Next sign-in: the code is asked before any page.
    page.context.clear_cookies()
    login(page, "t-chair", landing="/accounts/two-factor/verify/**")
    screenshot(page, "otp-verify")


def test_coordinator_publishes_a_new_version_of_the_agreement(
    live_server, page, login, cast, screenshot
):
    version = services.publish_agreement(actor=cast.coordinator, table=cast.table, text=AGREEMENT)
    services.accept_agreement(actor=cast.coordinator, version=version)
    login(page, "t-coordinator")
    page.goto(f"{live_server.url}/tables/{cast.table.pk}/members/")
    page.get_by_role("link", name="Edit the agreement").click()
    page.get_by_role("textbox", name="Agreement text").fill(
        AGREEMENT + "\n\n4. Review. Reviewed every year."
    )
    screenshot(page, "agreement-edit")
    page.get_by_role("button", name="Publish new version").click()
    expect(page.get_by_text("Version 2 is published.")).to_be_visible()
    # The coordinator too must accept the new version before seeing situations again.
    page.goto(f"{live_server.url}/tables/{cast.table.pk}/situations/")
    expect(
        page.get_by_text("The agreement has changed since you accepted version 1")
    ).to_be_visible()


def test_repeated_wrong_passwords_pause_sign_in(live_server, page, cast, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("t-rep-police")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    screenshot(page, "lockout")
