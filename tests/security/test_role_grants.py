"""Issue 15, part 3: a chair or privacy officer seat (new or by promotion) needs a second
privileged person; an invitation binds to the address it was sent to."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from agencies import services
from agencies.models import Invitation, Membership, Role
from core.models import AuditEvent
from tests.factories import UserFactory


def invite(cast, role, email="new.person@example.invalid", agency=None):
    return services.invite_member(
        actor=cast.coordinator,
        table=cast.table,
        agency=agency or cast.housing,
        role=role,
        email=email,
    )


def link_token(message) -> str:
    line = next(line for line in message.body.splitlines() if "/invitations/" in line)
    return line.strip().rsplit("/invitations/", 1)[1].strip("/")


@pytest.mark.parametrize("role", [Role.CHAIR, Role.PRIVACY_OFFICER])
def test_chair_or_privacy_officer_invitation_is_not_sent_before_approval(
    cast, role, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = invite(cast, role)
    assert issued.token is None
    assert mail.outbox == []
    invitation = Invitation.objects.get()
    assert invitation.awaiting_approval
    with pytest.raises(services.InvitationInvalid):
        services.check_invitation(invitation)
    with pytest.raises(ValidationError):
        services.resend_invitation(actor=cast.coordinator, invitation=invitation)


def test_the_inviter_cannot_approve_their_own_invitation_nor_a_representative(cast):
    issued = invite(cast, Role.CHAIR)
    for who in (cast.coordinator, cast.rep_police, cast.outsider, cast.nobody):
        with pytest.raises(PermissionDenied):
            services.approve_invitation(actor=who, invitation=issued.invitation)
    assert Invitation.objects.get().approved_at is None


def test_a_second_privileged_member_approves_and_only_then_the_link_works(
    client, cast, django_capture_on_commit_callbacks
):
    issued = invite(cast, Role.CHAIR)
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.approve_invitation(actor=cast.privacy, invitation=issued.invitation)
    [message] = mail.outbox
    assert link_token(message) == approved.token
    event = AuditEvent.objects.get(event="membership.invitation_approved")
    assert (event.actor_id, event.data["invited_by_id"]) == (cast.privacy.pk, cast.coordinator.pk)
    client.get(reverse("invitation-open", args=[approved.token]))
    response = client.post(
        reverse("invitation-accept"),
        {
            "username": "new-chair",
            "first_name": "Noor",
            "last_name": "Example",
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    )
    assert response.status_code == 302
    seat = Membership.objects.get(user__username="new-chair")
    assert seat.role == Role.CHAIR
    accepted = AuditEvent.objects.get(event="membership.invitation_accepted")
    assert accepted.data["approved_by_id"] == cast.privacy.pk


def test_approval_from_the_members_page(client, cast):
    issued = invite(cast, Role.PRIVACY_OFFICER)
    url = reverse("table-members", args=[cast.table.pk])
    client.force_login(cast.chair)
    page = client.get(url).content.decode()
    assert "Role grants awaiting approval" in page
    assert reverse("invitation-approve", args=[cast.table.pk, issued.invitation.pk]) in page
    # The inviter sees it waiting, without an approve button.
    client.force_login(cast.coordinator)
    page = client.get(url).content.decode()
    assert "Another person must approve" in page
    response = client.post(
        reverse("invitation-approve", args=[cast.table.pk, issued.invitation.pk])
    )
    assert response.status_code == 302
    assert Invitation.objects.get().approved_at is None
    client.force_login(cast.chair)
    client.post(reverse("invitation-approve", args=[cast.table.pk, issued.invitation.pk]))
    assert Invitation.objects.get().approved_by == cast.chair


def test_promotion_to_chair_needs_approval_and_takes_effect_on_acceptance(client, cast):
    issued = invite(cast, Role.CHAIR, email=cast.rep_housing.email)
    assert Membership.objects.get(user=cast.rep_housing).role == Role.REPRESENTATIVE
    approved = services.approve_invitation(actor=cast.chair, invitation=issued.invitation)
    client.force_login(cast.rep_housing)
    client.get(reverse("invitation-open", args=[approved.token]))
    assert client.post(reverse("invitation-accept")).status_code == 302
    assert Membership.objects.get(user=cast.rep_housing).role == Role.CHAIR
    assert AuditEvent.objects.get(event="membership.invitation_accepted").data["promotion"]


def test_a_representative_invitation_takes_effect_without_approval(cast):
    issued = invite(cast, Role.REPRESENTATIVE)
    assert issued.token and services.invitation_for_token(issued.token)


def test_invitation_cannot_be_accepted_by_another_signed_in_account(client, cast):
    issued = invite(cast, Role.REPRESENTATIVE, email="invited@example.invalid")
    someone_else = UserFactory(username="someone-else", email="else@example.invalid")
    client.force_login(someone_else)
    client.get(reverse("invitation-open", args=[issued.token]))
    response = client.post(reverse("invitation-accept"))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=someone_else).exists()
    assert Invitation.objects.get().accepted_at is None
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("another email address" in m for m in messages)
    # The account with the invited address may.
    invited = UserFactory(username="invited", email="Invited@Example.invalid")
    client.force_login(invited)
    client.get(reverse("invitation-open", args=[issued.token]))
    assert client.post(reverse("invitation-accept")).status_code == 302
    assert Membership.objects.filter(user=invited, table=cast.table).exists()
