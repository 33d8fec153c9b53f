"""Invitations: the link works once, expires, and only a hash of its token is stored."""

import datetime
import hashlib

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agencies import services
from agencies.models import Invitation, Membership
from core.models import AuditEvent

from .conftest import invite

STRONG = "a-long-enough-passphrase-42"


def account(**overrides):
    data = {
        "username": "new.person@example.invalid",
        "first_name": "Noor",
        "last_name": "Example",
        "password1": STRONG,
        "password2": STRONG,
    }
    data.update(overrides)
    return data


def open_link(client, issued):
    response = client.get(reverse("invitation-open", args=[issued.token]))
    assert response.status_code == 302
    assert response.url == reverse("invitation-accept")
    return response


# --- Inviting ------------------------------------------------------------------------------------


def test_coordinator_invites_by_email_and_the_email_holds_only_the_link(
    coordinator_client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("member-invite", args=[cast.table.pk]),
            {
                "email": "New.Person@Example.invalid",
                "agency": cast.housing.pk,
                "role": "representative",
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.table, invitation.agency, invitation.role) == (
        cast.table,
        cast.housing,
        "representative",
    )
    assert invitation.email_sent_at is not None
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=6, hours=23)
    [email] = mail.outbox
    assert email.to == ["New.Person@example.invalid"]
    link = next(line for line in email.body.splitlines() if "/invitations/" in line).strip()
    token = link.rsplit("/invitations/", 1)[1].strip("/")
    # Only a hash of the token is stored.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    # Nothing about the table's situations or people travels by email.
    for secret in (cast.table.name, cast.housing.name, cast.coordinator.username):
        assert secret not in email.body and secret not in email.subject


def test_invitation_writes_an_audit_row_without_the_email(cast):
    issued = invite(cast)
    event = AuditEvent.objects.get(event="membership.invited")
    assert event.actor_id == cast.coordinator.pk
    assert event.table_id == cast.table.pk
    assert event.object_id == str(issued.invitation.pk)
    assert event.data == {
        "agency_id": cast.housing.pk,
        "role": "representative",
        "awaiting_approval": False,
    }
    assert "example.invalid" not in str(event.data)


@pytest.mark.parametrize("who,status", [("chair", 403), ("rep_police", 403), ("outsider", 404)])
def test_only_coordinators_of_the_table_may_invite(client, cast, who, status):
    client.force_login(getattr(cast, who))
    response = client.post(
        reverse("member-invite", args=[cast.table.pk]),
        {"email": "x@example.invalid", "agency": cast.housing.pk, "role": "representative"},
    )
    assert response.status_code == status
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"email": "not-an-email", "role": "representative"}, "email"),
        ({"email": "a@example.invalid", "role": "emperor"}, "role"),
        ({"email": "a@example.invalid", "role": "representative", "agency": 999999}, "agency"),
    ],
)
def test_bad_invitation_input_is_a_form_error(coordinator_client, cast, data, field):
    data.setdefault("agency", cast.housing.pk)
    response = coordinator_client.post(reverse("member-invite", args=[cast.table.pk]), data)
    assert response.status_code == 400
    assert response.context["invite_form"].errors[field]
    assert not Invitation.objects.exists()


def test_agency_of_another_table_cannot_be_chosen(coordinator_client, cast):
    elsewhere = cast.outsider.memberships.get().agency
    response = coordinator_client.post(
        reverse("member-invite", args=[cast.table.pk]),
        {"email": "a@example.invalid", "agency": elsewhere.pk, "role": "representative"},
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_second_pending_invitation_or_existing_member_is_refused(coordinator_client, cast):
    invite(cast, email="twice@example.invalid")
    url = reverse("member-invite", args=[cast.table.pk])
    response = coordinator_client.post(
        url, {"email": "TWICE@example.invalid", "agency": cast.police.pk, "role": "chair"}
    )
    assert response.status_code == 400
    assert b"already has a pending invitation" in response.content
    # The same seat again is refused (another role would be a promotion: tests/security).
    response = coordinator_client.post(
        url, {"email": cast.rep_police.email, "agency": cast.police.pk, "role": "representative"}
    )
    assert response.status_code == 400
    assert b"already sits at the table" in response.content
    assert Invitation.objects.count() == 1


def test_members_page_lists_pending_invitations_for_the_coordinator_only(client, cast):
    invite(cast, email="pending@example.invalid")
    client.force_login(cast.coordinator)
    body = client.get(reverse("table-members", args=[cast.table.pk])).content.decode()
    assert "pending@example.invalid" in body
    assert "Send invitation" in body
    client.force_login(cast.rep_police)
    body = client.get(reverse("table-members", args=[cast.table.pk])).content.decode()
    assert "pending@example.invalid" not in body
    assert "Send invitation" not in body


# --- Accepting -----------------------------------------------------------------------------------


def test_invitee_sets_a_password_and_takes_the_seat(client, cast):
    issued = invite(cast, role="representative", agency=cast.housing)
    open_link(client, issued)
    page = client.get(reverse("invitation-accept"))
    assert page.status_code == 200
    assert issued.token not in page.content.decode()  # the token left the address bar
    assert "Northside Test Table" in page.content.decode()
    response = client.post(reverse("invitation-accept"), account())
    user = get_user_model().objects.get(username="new.person@example.invalid")
    assert user.email == "new.person@example.invalid"
    assert user.check_password(STRONG)
    membership = Membership.objects.get(user=user)
    assert (membership.table, membership.agency, membership.role, membership.is_active) == (
        cast.table,
        cast.housing,
        "representative",
        True,
    )
    # No agreement published for this table: straight to the orientation, signed in.
    assert response.status_code == 302
    assert response.url == reverse("orientation", args=[cast.table.pk])
    assert client.get(response.url).status_code == 200
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_by == user
    event = AuditEvent.objects.get(event="membership.invitation_accepted")
    assert event.actor_id == user.pk
    assert event.data["invitation_id"] == issued.invitation.pk
    assert "new.person" not in str(event.data)


def test_invitee_goes_to_the_agreement_when_the_table_has_one(client, cast, agreement):
    issued = invite(cast)
    open_link(client, issued)
    response = client.post(reverse("invitation-accept"), account(username="noor"))
    assert response.url == reverse("agreement", args=[cast.table.pk])


def test_username_may_be_chosen_instead_of_the_email(client, cast):
    open_link(client, invite(cast))
    client.post(reverse("invitation-accept"), account(username="noor.e"))
    assert get_user_model().objects.get(username="noor.e").email == "new.person@example.invalid"


def test_invitation_link_works_only_once(client, cast):
    issued = invite(cast)
    open_link(client, issued)
    client.post(reverse("invitation-accept"), account())
    client.logout()
    response = client.get(reverse("invitation-open", args=[issued.token]))
    assert response.status_code == 410
    assert b"This invitation was already used" in response.content
    assert Membership.objects.filter(user__username="new.person@example.invalid").count() == 1


def test_expired_invitation_is_refused_with_a_clear_page(client, cast):
    issued = invite(cast)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        response = client.get(reverse("invitation-open", args=[issued.token]))
    assert response.status_code == 410
    assert b"This invitation has expired" in response.content


def test_invitation_that_expires_while_the_form_is_open_is_refused(client, cast):
    issued = invite(cast)
    Invitation.objects.update(expires_at=timezone.now() + datetime.timedelta(minutes=1))
    open_link(client, issued)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        response = client.post(reverse("invitation-accept"), account())
    assert response.status_code == 410
    assert not get_user_model().objects.filter(username="new.person@example.invalid").exists()


def test_withdrawn_invitation_is_refused(client, cast):
    issued = invite(cast)
    coordinator = client
    coordinator.force_login(cast.coordinator)
    coordinator.post(reverse("invitation-revoke", args=[cast.table.pk, issued.invitation.pk]))
    assert AuditEvent.objects.filter(event="membership.invitation_revoked").count() == 1
    coordinator.logout()
    response = client.get(reverse("invitation-open", args=[issued.token]))
    assert response.status_code == 410
    assert b"This invitation was withdrawn" in response.content


@pytest.mark.parametrize("token", ["nonsense", "x" * 300])
def test_unknown_link_is_a_clear_404(client, db, token):
    response = client.get(reverse("invitation-open", args=[token]))
    assert response.status_code == 404
    assert b"This invitation link is not valid" in response.content


def test_accept_page_without_an_opened_link_is_a_clear_404(client, db):
    response = client.get(reverse("invitation-accept"))
    assert response.status_code == 404
    assert b"This invitation link is not valid" in response.content


def test_sending_a_new_link_retires_the_old_one(coordinator_client, cast, client):
    first = invite(cast)
    coordinator_client.post(reverse("invitation-resend", args=[cast.table.pk, first.invitation.pk]))
    assert client.get(reverse("invitation-open", args=[first.token])).status_code == 404
    assert AuditEvent.objects.filter(event="membership.invitation_resent").count() == 1


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password1": "password123456", "password2": "password123456"}, "password1"),
        ({"password2": "something-else-entirely"}, "password2"),
        ({"username": "t-chair"}, "username"),
        ({"username": "has spaces!"}, "username"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_bad_account_details_are_form_errors_and_nothing_is_written(client, cast, overrides, field):
    issued = invite(cast)
    open_link(client, issued)
    users = get_user_model().objects.count()
    response = client.post(reverse("invitation-accept"), account(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert get_user_model().objects.count() == users
    issued.invitation.refresh_from_db()
    assert issued.invitation.accepted_at is None


def test_signed_in_person_adds_the_seat_to_their_account(client, cast):
    issued = invite(cast, email=cast.outsider.email, role="privacy_officer")
    # A privacy officer's seat needs a second person's approval before the link exists.
    issued = services.approve_invitation(actor=cast.chair, invitation=issued.invitation)
    client.force_login(cast.outsider)
    open_link(client, issued)
    page = client.get(reverse("invitation-accept"))
    assert b"Join the table" in page.content
    response = client.post(reverse("invitation-accept"))
    assert response.status_code == 302
    assert Membership.objects.get(user=cast.outsider, table=cast.table).role == "privacy_officer"


def test_a_former_member_invited_back_gets_the_seat_reopened(client, cast):
    seat = cast.rep_housing.memberships.get()
    services.deactivate_membership(actor=cast.coordinator, membership=seat)
    issued = invite(cast, email=cast.rep_housing.email, agency=cast.police)
    client.force_login(cast.rep_housing)
    open_link(client, issued)
    client.post(reverse("invitation-accept"))
    seat.refresh_from_db()
    assert (seat.is_active, seat.agency) == (True, cast.police)


def test_service_refuses_a_used_token(cast):
    issued = invite(cast)
    services.accept_invitation(
        token=issued.token, username="one", password=STRONG, first_name="A", last_name="B"
    )
    with pytest.raises(services.InvitationInvalid) as error:
        services.accept_invitation(
            token=issued.token, username="two", password=STRONG, first_name="A", last_name="B"
        )
    assert error.value.reason == "used"
