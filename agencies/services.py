"""Onboarding and seats at a table: invitations, the information-sharing agreement, memberships,
and the account's two-factor devices.

Every function takes the acting user first, checks the actor's right, runs in one transaction and
appends to the audit chain in that same transaction. Audit data holds ids and codes only — never
an email address or a name. Emails leave after commit.
"""

import datetime
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.models import UserObjectPermission

from core.audit import record_event

from .models import (
    APPROVER_ROLES,
    Agency,
    AgreementAcceptance,
    AgreementVersion,
    Invitation,
    Membership,
    Role,
    Table,
)
from .permissions import Capability, TableAccess, table_access

logger = logging.getLogger(__name__)

BACKUP_DEVICE_NAME = "backup"
TOTP_DEVICE_NAME = "authenticator"


class InvitationInvalid(Exception):
    """The invitation link cannot be used; ``reason`` says why, for a clear page."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require(actor, table: Table, capability: Capability) -> TableAccess:
    access = table_access(actor, table.pk)
    if access is None or not access.can(capability):
        raise PermissionDenied(_("You may not do this on this table."))
    return access


# --- Invitations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str | None  # shown once (in the email); only its hash is stored. None: awaiting approval

    @property
    def url(self) -> str:
        return settings.SITE_URL + reverse("invitation-open", args=[self.token])


def _send_invitation_email(invitation_id: int, url: str, language: str) -> None:
    """After commit. The email holds the link and its expiry only: nothing about situations."""
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        return
    with translation.override(language):
        context = {"url": url, "expires_at": invitation.expires_at}
        subject = render_to_string("agencies/email/invitation_subject.txt", context).strip()
        body = render_to_string("agencies/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except Exception:  # the coordinator sees "not sent" in the list and can send it again
        logger.exception("invitation email failed (invitation %s)", invitation_id)
        return
    Invitation.objects.filter(pk=invitation_id).update(email_sent_at=timezone.now())


def _issue(invitation: Invitation) -> IssuedInvitation:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = timezone.now() + datetime.timedelta(days=settings.INVITATION_VALID_DAYS)
    invitation.email_sent_at = None
    issued = IssuedInvitation(invitation, token)
    return issued


def _email_after_commit(issued: IssuedInvitation) -> None:
    language = translation.get_language() or settings.LANGUAGE_CODE
    invitation_id, url = issued.invitation.pk, issued.url
    transaction.on_commit(lambda: _send_invitation_email(invitation_id, url, language))


def invite_member(
    *, actor, table: Table, agency: Agency, role: str, email: str
) -> IssuedInvitation:
    """Invite a person by email to sit at ``table`` for ``agency`` with ``role``.

    Inviting someone who already sits at the table to another role is a promotion. An invitation
    to chair or privacy officer is not sent until a second privileged member approves it
    (:func:`approve_invitation`); until then it has no usable link.
    """
    email = get_user_model().objects.normalize_email(email.strip())
    with transaction.atomic():
        _require(actor, table, Capability.MANAGE_MEMBERS)
        if role not in Role.values:
            raise ValidationError({"role": _("Choose a role.")})
        if not table.agencies.filter(pk=agency.pk).exists():
            raise ValidationError({"agency": _("This agency is not a member of the table.")})
        if Membership.objects.filter(
            table=table, user__email__iexact=email, is_active=True, role=role, agency=agency
        ).exists():
            raise ValidationError(
                {"email": _("Someone with this email already sits at the table.")}
            )
        pending = Invitation.objects.select_for_update().filter(
            table=table,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        if pending.exists():
            raise ValidationError(
                {"email": _("This person already has a pending invitation to this table.")}
            )
        invitation = Invitation(
            table=table, agency=agency, role=role, email=email, invited_by=actor
        )
        issued = _issue(invitation)
        if invitation.needs_approval:
            # No usable link yet: the token is thrown away; approval issues a new one.
            issued = IssuedInvitation(invitation, None)
        invitation.save()
        record_event(
            actor=actor,
            event="membership.invited",
            table=table,
            obj=invitation,
            data={
                "agency_id": agency.pk,
                "role": role,
                "awaiting_approval": invitation.needs_approval,
            },
        )
        if issued.token is not None:
            _email_after_commit(issued)
    return issued


def can_approve(access: TableAccess | None, invitation: Invitation) -> bool:
    """A second person: an active chair, coordinator or privacy officer of the same table who did
    not make the invitation and is not the person invited."""
    return (
        access is not None
        and access.table.pk == invitation.table_id
        and access.role in APPROVER_ROLES
        and access.user.pk != invitation.invited_by_id
        and (access.user.email or "").lower() != invitation.email.lower()
    )


def approve_invitation(*, actor, invitation: Invitation) -> IssuedInvitation:
    """The second privileged member's approval: only now is the link issued and emailed."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not can_approve(table_access(actor, invitation.table_id), invitation):
            raise PermissionDenied(
                _("Another chair, coordinator or privacy officer of the table must approve this.")
            )
        if not invitation.awaiting_approval:
            raise ValidationError(_("This invitation does not need approval."))
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError(_("This invitation was already used or withdrawn."))
        invitation.approved_by = actor
        invitation.approved_at = timezone.now()
        issued = _issue(invitation)
        invitation.save(
            update_fields=[
                "approved_by",
                "approved_at",
                "token_hash",
                "expires_at",
                "email_sent_at",
            ]
        )
        record_event(
            actor=actor,
            event="membership.invitation_approved",
            table=invitation.table,
            obj=invitation,
            data={"role": invitation.role, "invited_by_id": invitation.invited_by_id},
        )
        _email_after_commit(issued)
    return issued


def resend_invitation(*, actor, invitation: Invitation) -> IssuedInvitation:
    """A new link (the old one stops working) with a fresh expiry, emailed again."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _require(actor, invitation.table, Capability.MANAGE_MEMBERS)
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError(_("This invitation was already used or withdrawn."))
        if invitation.awaiting_approval:
            raise ValidationError(_("This invitation is waiting for a second person's approval."))
        issued = _issue(invitation)
        invitation.save(update_fields=["token_hash", "expires_at", "email_sent_at"])
        record_event(
            actor=actor,
            event="membership.invitation_resent",
            table=invitation.table,
            obj=invitation,
        )
        _email_after_commit(issued)
    return issued


def revoke_invitation(*, actor, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _require(actor, invitation.table, Capability.MANAGE_MEMBERS)
        if invitation.accepted_at:
            raise ValidationError(_("This invitation was already used."))
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            record_event(
                actor=actor,
                event="membership.invitation_revoked",
                table=invitation.table,
                obj=invitation,
            )
    return invitation


def check_invitation(invitation: Invitation | None) -> Invitation:
    """Raise :class:`InvitationInvalid` unless the invitation can still be accepted."""
    if invitation is None:
        raise InvitationInvalid(InvitationInvalid.UNKNOWN)
    if invitation.accepted_at is not None:
        raise InvitationInvalid(InvitationInvalid.USED)
    if invitation.revoked_at is not None:
        raise InvitationInvalid(InvitationInvalid.REVOKED)
    if invitation.awaiting_approval:
        raise InvitationInvalid(InvitationInvalid.UNKNOWN)
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(InvitationInvalid.EXPIRED)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The usable invitation behind a link's token, or :class:`InvitationInvalid`."""
    if not token or len(token) > 200:
        raise InvitationInvalid(InvitationInvalid.UNKNOWN)
    invitation = (
        Invitation.objects.select_related("table", "agency")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return check_invitation(invitation)


def accept_invitation(
    *,
    token: str,
    user=None,
    username: str = "",
    password: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Take the seat an invitation offers: as ``user`` (already signed in) or as a new account.

    Single use: the invitation row is locked, so two clicks cannot make two seats.
    The acting user is the person accepting (the new account when one is created).
    """
    User = get_user_model()
    with transaction.atomic():
        invitation = check_invitation(
            Invitation.objects.select_for_update()
            .select_related("table", "agency")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if user is None:
            if User.objects.filter(username__iexact=username).exists():
                raise ValidationError({"username": _("This username is taken.")})
            user = User(
                username=username,
                email=invitation.email,
                first_name=first_name,
                last_name=last_name,
            )
            user.set_password(password)
            user.save()
            created = True
        else:
            # The link was emailed to one address: only the account with that address may use it
            # (someone else signed in on the browser that opens it must not take the seat).
            if (user.email or "").strip().lower() != invitation.email.lower():
                raise ValidationError(
                    _(
                        "This invitation was sent to another email address than your account's. "
                        "Sign out, then open the link again."
                    )
                )
            created = False
        existing = Membership.objects.select_for_update().filter(user=user, table=invitation.table)
        membership = existing.first()
        promoted = (
            membership is not None
            and membership.is_active
            and (membership.role, membership.agency_id) != (invitation.role, invitation.agency_id)
        )
        if membership is not None and membership.is_active and not promoted:
            raise ValidationError(_("You already have a seat at this table."))
        if membership is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(
                        user=user,
                        table=invitation.table,
                        agency=invitation.agency,
                        role=invitation.role,
                    )
            except IntegrityError:
                raise ValidationError(_("You already have a seat at this table.")) from None
        else:
            # A former member invited back: the seat is reopened with the invited agency/role.
            membership.agency = invitation.agency
            membership.role = invitation.role
            membership.is_active = True
            membership.save(update_fields=["agency", "role", "is_active"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record_event(
            actor=user,
            event="membership.invitation_accepted",
            table=invitation.table,
            obj=membership,
            data={
                "invitation_id": invitation.pk,
                "agency_id": invitation.agency_id,
                "role": invitation.role,
                "new_account": created,
                "promotion": promoted,
                "approved_by_id": invitation.approved_by_id,
            },
        )
    return membership


# --- Memberships ---------------------------------------------------------------------------------


def _set_membership_active(*, actor, membership: Membership, active: bool) -> Membership:
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().select_related("table").get(pk=membership.pk)
        )
        _require(actor, membership.table, Capability.MANAGE_MEMBERS)
        if membership.user_id == actor.pk and not active:
            raise ValidationError(_("You cannot remove your own seat. Ask another coordinator."))
        if membership.is_active != active:
            membership.is_active = active
            membership.save(update_fields=["is_active"])
            data = {"user_id": membership.user_id, "agency_id": membership.agency_id}
            if not active:
                # The seat's object permissions (Filter 3 access) go with it, so reactivation
                # starts from nothing: access comes back only with a new disclosure.
                data["grants_removed"] = _remove_object_permissions(membership)
            record_event(
                actor=actor,
                event="membership.reactivated" if active else "membership.deactivated",
                table=membership.table,
                obj=membership,
                data=data,
            )
    return membership


def _remove_object_permissions(membership: Membership) -> int:
    """Delete the user's object permissions on this table's situations; returns how many."""
    # By app label, not by import: agencies sits below cases.
    situation_model = apps.get_model("cases", "Situation")
    situation_ids = (
        situation_model.objects.filter(table_id=membership.table_id)
        .annotate(pk_text=Cast("pk", CharField()))
        .values("pk_text")
    )
    deleted, _rows = UserObjectPermission.objects.filter(
        user_id=membership.user_id,
        content_type=ContentType.objects.get_for_model(situation_model),
        object_pk__in=situation_ids,
    ).delete()
    return deleted


def deactivate_membership(*, actor, membership: Membership) -> Membership:
    """Remove the person's access to the table at once (every page checks active seats)."""
    return _set_membership_active(actor=actor, membership=membership, active=False)


def reactivate_membership(*, actor, membership: Membership) -> Membership:
    return _set_membership_active(actor=actor, membership=membership, active=True)


# --- Information-sharing agreement ---------------------------------------------------------------


def current_agreement(table: Table) -> AgreementVersion | None:
    return AgreementVersion.objects.filter(table=table).order_by("-version").first()


def publish_agreement(*, actor, table: Table, text: str) -> AgreementVersion:
    """Publish a new version; everyone at the table must accept it before seeing situations."""
    text = text.strip().replace("\r\n", "\n")
    if not text:
        raise ValidationError({"text": _("Write the agreement before publishing it.")})
    with transaction.atomic():
        _require(actor, table, Capability.MANAGE_MEMBERS)
        # Serialise publishers on the table row so two versions cannot get the same number.
        Table.objects.select_for_update().filter(pk=table.pk).first()
        latest = current_agreement(table)
        if latest is not None and latest.text == text:
            raise ValidationError({"text": _("This is the text already in force.")})
        version = AgreementVersion.objects.create(
            table=table,
            version=(latest.version + 1) if latest else 1,
            text=text,
            published_at=timezone.now(),
            published_by=actor,
        )
        record_event(
            actor=actor,
            event="agreement.published",
            table=table,
            obj=version,
            data={"version": version.version},
        )
    return version


def accept_agreement(*, actor, version: AgreementVersion) -> AgreementAcceptance:
    """Record that ``actor`` read and accepted ``version`` (which must be the one in force)."""
    with transaction.atomic():
        if table_access(actor, version.table_id) is None:
            raise PermissionDenied(_("You may not do this on this table."))
        latest = current_agreement(version.table)
        if latest is None or latest.pk != version.pk:
            raise ValidationError(
                _("A newer version of the agreement was published. Please read it first.")
            )
        acceptance, created = AgreementAcceptance.objects.get_or_create(
            user=actor, version=version, defaults={"accepted_at": timezone.now()}
        )
        if created:
            record_event(
                actor=actor,
                event="agreement.accepted",
                table=version.table,
                obj=version,
                data={"version": version.version},
            )
    return acceptance


# --- Two-factor devices --------------------------------------------------------------------------


def unsaved_totp_device(*, actor, key: str) -> TOTPDevice:
    """The authenticator the setup page shows, kept in memory only (its key in the session):
    visiting the setup page writes nothing; a device exists once a code from it is confirmed."""
    return TOTPDevice(user=actor, name=TOTP_DEVICE_NAME, key=key, confirmed=False)


def confirm_totp_device(*, actor, key: str, token: str) -> TOTPDevice | None:
    """Create the confirmed authenticator if ``token`` is a current code for ``key``; older
    authenticators are replaced. Returns the new device, or None when the code does not match."""
    device = unsaved_totp_device(actor=actor, key=key)
    try:
        value = int(token)
    except (TypeError, ValueError):
        return None
    otp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    otp.time = time.time()
    if not otp.verify(value, device.tolerance):
        return None
    with transaction.atomic():
        # The code just used cannot be replayed at the next sign-in.
        device.last_t = otp.t()
        device.confirmed = True
        device.save()
        TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
        record_event(
            actor=actor, event="account.totp_confirmed", obj=device, data={"user_id": actor.pk}
        )
    return device


def new_backup_codes(*, actor, count: int | None = None) -> list[str]:
    """Replace the person's backup codes; returns the new ones (shown once)."""
    count = count or settings.OTP_BACKUP_CODE_COUNT
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=actor, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        record_event(
            actor=actor,
            event="account.backup_codes_issued",
            obj=device,
            data={"user_id": actor.pk, "count": count},
        )
    return codes
