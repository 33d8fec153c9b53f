"""Tables, members and onboarding: invitations, the information-sharing agreement, orientation,
and two-factor authentication. Thin views: parse a form, call one service, render."""

import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordResetConfirmView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.util import random_hex

from core import once
from core.forms import add_errors
from core.http import safe_next_url

from . import passwords, selectors, services, signin, two_factor
from .api import tokens as api_tokens
from .forms import (
    AcceptAgreementForm,
    AgreementForm,
    InvitationForm,
    NewAccountForm,
    OTPTokenForm,
    PasswordResetRequestForm,
)
from .models import (
    APPROVER_ROLES,
    Invitation,
)
from .permissions import Capability, agreement_required, table_view

INVITATION_SESSION_KEY = "invitation_token"
THROTTLED = _lazy("Too many wrong codes. Wait a minute, then try again.")
BACKUP_CODES_SESSION_KEY = "new_backup_codes"
OTP_SETUP_SESSION_KEY = "otp_setup_pending"


@login_required
def home(request):
    memberships = selectors.home_memberships(request.user)
    return render(request, "agencies/home.html", {"memberships": memberships})


# --- Members --------------------------------------------------------------------------------------


def _members_context(access, invite_form=None):
    table = access.table
    managing = access.can(Capability.MANAGE_MEMBERS)
    members = selectors.table_members(access)
    context = {
        "access": access,
        "table": table,
        "members": members.filter(is_active=True).order_by("agency__name", "role"),
        "agencies": selectors.table_agencies(access),
        "managing": managing,
        "agreement": services.current_agreement(table),
    }
    if managing:
        now = timezone.now()
        context["seats"] = members.order_by("-is_active", "agency__name", "user__last_name")
        context["invitations"] = selectors.open_invitations(access)
        context["now"] = now
        context["invite_form"] = invite_form or InvitationForm(table=table)
        context["member_tokens"] = api_tokens.tokens_of_table(access)
    if access.role in APPROVER_ROLES:
        awaiting = list(selectors.invitations_awaiting_approval(access))
        for inv in awaiting:
            inv.can_approve = services.can_approve(access, inv)
        context["awaiting_approval"] = awaiting
    return context


@table_view(Capability.VIEW_TABLE)
def table_detail(request, access):
    return render(request, "agencies/table_detail.html", _members_context(access))


@require_POST
@table_view(Capability.MANAGE_MEMBERS)
def member_invite(request, access):
    form = InvitationForm(request.POST, table=access.table)
    if form.is_valid():
        try:
            issued = services.invite_member(
                actor=request.user, table=access.table, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            once.recorded(request)
            if issued.token is None:
                messages.success(
                    request,
                    _(
                        "Invitation recorded. It is sent once another chair, coordinator or "
                        "privacy officer of the table approves it."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Invitation sent. The link works once and expires in %(days)d days.")
                    % {"days": settings.INVITATION_VALID_DAYS},
                )
            return redirect("table-members", access.table.pk)
    response = render(request, "agencies/table_detail.html", _members_context(access, form))
    response.status_code = 400
    return response


def _table_invitation(access, invitation_id) -> Invitation:
    return get_object_or_404(Invitation, pk=invitation_id, table=access.table)


@require_POST
@table_view(Capability.MANAGE_MEMBERS)
def invitation_resend(request, access, invitation_id):
    invitation = _table_invitation(access, invitation_id)
    try:
        services.resend_invitation(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new invitation link was sent; the old one no longer works."))
    return redirect("table-members", access.table.pk)


@require_POST
@table_view(Capability.VIEW_TABLE)
def invitation_approve(request, access, invitation_id):
    """The second person's approval of a chair or privacy-officer invitation (the service checks
    who may give it: another chair, coordinator or privacy officer of the table)."""
    invitation = _table_invitation(access, invitation_id)
    try:
        services.approve_invitation(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("table-members", access.table.pk)
    else:
        messages.success(request, _("Approved. The invitation was sent."))
    return redirect("table-members", access.table.pk)


@require_POST
@table_view(Capability.MANAGE_MEMBERS)
def invitation_revoke(request, access, invitation_id):
    invitation = _table_invitation(access, invitation_id)
    try:
        services.revoke_invitation(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitation withdrawn. Its link no longer works."))
    return redirect("table-members", access.table.pk)


@require_POST
@table_view(Capability.MANAGE_MEMBERS)
def membership_set_active(request, access, membership_id, active):
    membership = selectors.get_membership(access, membership_id)
    service = services.reactivate_membership if active else services.deactivate_membership
    try:
        service(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = membership.user.get_full_name() or membership.user.get_username()
        if active:
            messages.success(request, _("%(name)s has access to the table again.") % {"name": name})
        else:
            messages.success(
                request, _("%(name)s no longer has access to the table.") % {"name": name}
            )
    return redirect("table-members", access.table.pk)


# --- Information-sharing agreement and orientation ----------------------------------------------


@table_view(Capability.VIEW_TABLE, agreement=False)
def agreement(request, access):
    version = services.current_agreement(access.table)
    if version is None and not access.can(Capability.MANAGE_MEMBERS):
        raise Http404
    accepted = selectors.acceptance(request.user, version)
    form = AcceptAgreementForm(
        request.POST or None, initial={"version": version.pk if version else None}
    )
    next_url = safe_next_url(request, reverse("orientation", args=[access.table.pk]))
    if request.method == "POST" and version is not None and form.is_valid():
        posted = selectors.agreement_version(access, form.cleaned_data["version"])
        try:
            if posted is None:
                raise ValidationError(_("This version of the agreement does not exist."))
            services.accept_agreement(actor=request.user, version=posted)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Thank you. You accepted the agreement."))
            return redirect(next_url)
    previous = None
    if version is not None and accepted is None:
        previous = selectors.latest_acceptance(request.user, access)
    return render(
        request,
        "agencies/agreement.html",
        {
            "access": access,
            "version": version,
            "accepted": accepted,
            "previous": previous,
            "form": form,
            "next": next_url,
        },
        status=400 if form.errors else 200,
    )


@table_view(Capability.MANAGE_MEMBERS, agreement=False)
def agreement_edit(request, access):
    current = services.current_agreement(access.table)
    form = AgreementForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.publish_agreement(
                actor=request.user, table=access.table, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)d is published. Everyone at the table must accept it.")
                % {"version": version.version},
            )
            return redirect("agreement", access.table.pk)
    return render(
        request,
        "agencies/agreement_form.html",
        {"access": access, "form": form, "current": current},
        status=400 if form.errors else 200,
    )


@table_view(Capability.VIEW_TABLE, agreement=False)
def orientation(request, access):
    return render(
        request,
        "agencies/orientation.html",
        {
            "access": access,
            "agreement_pending": agreement_required(access),
            "idle_minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES,
        },
    )


# --- Accepting an invitation ---------------------------------------------------------------------


def _invalid_invitation(request, error: services.InvitationInvalid):
    request.session.pop(INVITATION_SESSION_KEY, None)
    status = 404 if error.reason == services.InvitationInvalid.UNKNOWN else 410
    return render(
        request, "registration/invitation_invalid.html", {"reason": error.reason}, status=status
    )


def invitation_open(request, token):
    """The emailed link. The token moves into the session and out of the address bar, so it does
    not linger in browser history or leak in a Referer header (as Django's password reset does).
    """
    try:
        services.invitation_for_token(token)
    except services.InvitationInvalid as error:
        return _invalid_invitation(request, error)
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("invitation-accept")


def _after_joining(table) -> str:
    if services.current_agreement(table) is not None:
        return reverse("agreement", args=[table.pk])
    return reverse("orientation", args=[table.pk])


def invitation_accept(request):
    token = request.session.get(INVITATION_SESSION_KEY, "")
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationInvalid as error:
        return _invalid_invitation(request, error)
    signed_in = request.user.is_authenticated
    form = None if signed_in else NewAccountForm(request.POST or None, email=invitation.email)
    if not signed_in and form.initial.get("username") is None:
        form.initial["username"] = invitation.email
    if request.method == "POST" and (signed_in or form.is_valid()):
        fields = {} if signed_in else form.cleaned_data
        try:
            membership = services.accept_invitation(
                token=token,
                user=request.user if signed_in else None,
                username=fields.get("username", ""),
                password=fields.get("password1", ""),
                first_name=fields.get("first_name", ""),
                last_name=fields.get("last_name", ""),
            )
        except services.InvitationInvalid as error:
            return _invalid_invitation(request, error)
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect("home")
            add_errors(form, error)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            if not signed_in:
                auth_login(
                    request,
                    membership.user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
            messages.success(
                request,
                _("Welcome to %(table)s.") % {"table": membership.table.name},
            )
            return redirect(_after_joining(membership.table))
    return render(
        request,
        "registration/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


# --- Sign-in protection and two-factor authentication --------------------------------------------


class SignInView(LoginView):
    """Django's sign-in, slowed per client address after repeated failures (agencies.signin);
    django-axes pauses a username that keeps failing."""

    def post(self, request, *args, **kwargs):
        wait = signin.wait_seconds(signin.client_ip(request))
        if wait:
            response = render(
                request, "registration/lockout.html", {"wait_seconds": wait}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


def password_reset_request(request):
    """The product's own "forgot your password" page: the same answer whatever the address;
    limited per address (silently) and per client address (said plainly)."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST":
        if passwords.address_limited(signin.client_ip(request)):
            response = render(
                request,
                "registration/password_reset_form.html",
                {"form": form, "limited": True},
                status=429,
            )
            response["Retry-After"] = "3600"
            return response
        if form.is_valid():
            passwords.request_password_reset(
                email=form.cleaned_data["email"], ip=signin.client_ip(request)
            )
            return redirect("password_reset_done")
    return render(
        request,
        "registration/password_reset_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


class ResetConfirmView(PasswordResetConfirmView):
    """Django's confirmation (the token leaves the address bar at once), audited. The password
    change revokes the person's API tokens (agencies.signals)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.record_password_reset(user=form.user)
        return response


def lockout(request, original_response=None, credentials=None):
    """django-axes answers with this page once a username has too many failed sign-ins."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )


@login_required
def otp_manage(request):
    user = request.user
    return render(
        request,
        "registration/otp_manage.html",
        {
            "has_totp": two_factor.has_totp_device(user),
            "backup_codes_left": selectors.backup_codes_left(user),
            "required": two_factor.two_factor_required(user),
            "verified": user.is_verified(),
            "api_tokens": api_tokens.active_tokens(user),
        },
    )


TOKEN_KEY = re.compile(r"[0-9a-f]{1,25}")


@require_POST
@login_required
def api_token_revoke(request, token_key):
    """The person revokes one of their own API tokens (someone else's key matches nothing)."""
    if not TOKEN_KEY.fullmatch(token_key) or not api_tokens.revoke_token(
        user=request.user, token_key=token_key
    ):
        raise Http404
    messages.success(request, _("The API token was revoked."))
    return redirect("otp-manage")


@require_POST
@table_view(Capability.MANAGE_MEMBERS)
def member_token_revoke(request, access, token_key):
    """The coordinator revokes an API token of one of the table's members."""
    if not TOKEN_KEY.fullmatch(token_key) or not api_tokens.revoke_member_token(
        access=access, token_key=token_key
    ):
        raise Http404
    messages.success(request, _("The API token was revoked."))
    return redirect("table-members", access.table.pk)


def _pending_setup(request) -> dict:
    """The secret being set up lives in the session until a code confirms it."""
    pending = request.session.get(OTP_SETUP_SESSION_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("key"), str):
        pending = {"key": random_hex(20), "failures": 0, "not_before": 0}
        request.session[OTP_SETUP_SESSION_KEY] = pending
    return pending


def _rotate_session_for_second_factor(request, device) -> None:
    """A new session key once the second factor is verified: a session id learnt before this
    step (fixation, a shoulder-surfed cookie) is worthless after it."""
    request.session.cycle_key()
    otp_login(request, device)


@login_required
def otp_setup(request):
    user = request.user
    # Someone who already has a device must prove it first: a stolen password alone must not be
    # enough to register the thief's authenticator.
    if user_has_device(user) and not user.is_verified():
        return redirect(f"{reverse('otp-verify')}?{request.GET.urlencode()}")
    pending = _pending_setup(request)
    device = services.unsaved_totp_device(actor=user, key=pending["key"])
    form = OTPTokenForm(request.POST or None, numeric=True)
    next_url = safe_next_url(request, reverse("home"))
    if request.method == "POST" and form.is_valid():
        now = time.time()
        if now < pending.get("not_before", 0):
            form.add_error("token", THROTTLED)
        else:
            confirmed = services.confirm_totp_device(
                actor=user, key=pending["key"], token=form.cleaned_data["token"]
            )
            if confirmed is not None:
                request.session.pop(OTP_SETUP_SESSION_KEY, None)
                _rotate_session_for_second_factor(request, confirmed)
                codes = services.new_backup_codes(actor=user)
                request.session[BACKUP_CODES_SESSION_KEY] = codes
                messages.success(request, _("Your authenticator app is set up."))
                return redirect(f"{reverse('otp-backup-codes')}?{urlencode({'next': next_url})}")
            # The same growing pause as django-otp's per-device throttle (1, 2, 4 … seconds).
            failures = int(pending.get("failures", 0)) + 1
            request.session[OTP_SETUP_SESSION_KEY] = {
                **pending,
                "failures": failures,
                "not_before": now + min(2 ** (failures - 1), 3600),
            }
            form.add_error(
                "token", _("That code did not match. Check the time on your phone and try again.")
            )
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(device.config_url),
            "manual_key": two_factor.manual_key(device),
            "next": next_url,
            "required": two_factor.two_factor_required(user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def otp_verify(request):
    user = request.user
    next_url = safe_next_url(request, reverse("home"))
    if not user_has_device(user):
        return redirect(f"{reverse('otp-setup')}?{request.GET.urlencode()}")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.is_throttled(user):
            form.add_error("token", THROTTLED)
        else:
            device = two_factor.verify_code(user, form.cleaned_data["token"])
            if device is not None:
                _rotate_session_for_second_factor(request, device)
                return redirect(next_url)
            form.add_error("token", _("That code is not valid. Try the newest code."))
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": next_url, "has_totp": two_factor.has_totp_device(user)},
        status=400 if form.errors else 200,
    )


@login_required
def otp_backup_codes(request):
    """POST makes new codes (a verified session only); GET shows the codes just made, once."""
    user = request.user
    if request.method == "POST":
        if not user.is_verified():
            return redirect("otp-verify")
        request.session[BACKUP_CODES_SESSION_KEY] = services.new_backup_codes(actor=user)
        return redirect("otp-backup-codes")
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("otp-manage")
    return render(
        request,
        "registration/otp_backup_codes.html",
        {"codes": codes, "next": safe_next_url(request, reverse("home"))},
    )
