"""The operators' admin for tables, agencies, memberships and accounts.

Operators keep the site running; they are not table members and must not become anyone else. So
the admin never shows an authenticator secret or a backup code, never sets another person's
password (it emails a reset link to the address on the account), offers no way to act as someone
else (no API token made here, no email change that would redirect a reset, no seat for an
operator), grants no role but a table's coordinator, and every change made here is in the audit
chain (``situation_table.admin_site``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from core.admin import ReadOnlyAdmin

from . import passwords
from .forms import OperatorUserCreationForm
from .models import (
    Agency,
    AgreementAcceptance,
    AgreementVersion,
    Invitation,
    Membership,
    Role,
    Sector,
    Table,
)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "ordering")
    search_fields = ("name", "code")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "sector", "is_active")
    list_filter = ("sector", "is_active")
    search_fields = ("name", "short_name")


class MembershipInline(admin.TabularInline):
    """Read-only here: seats are given by invitation (and the first coordinator below)."""

    model = Membership
    extra = 0
    fields = ("user", "agency", "role", "is_active")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "created_at")
    search_fields = ("name", "code")
    filter_horizontal = ("agencies",)
    inlines = [MembershipInline]


class OperatorMembershipForm(forms.ModelForm):
    """An operator seats a table's coordinator (who then invites everyone else); every other
    role is given by invitation, chairs and privacy officers with a second person's approval."""

    class Meta:
        model = Membership
        fields = ("user", "table", "agency", "role", "is_active")

    def clean_role(self):
        role = self.cleaned_data.get("role")
        if role != Role.COORDINATOR:
            raise forms.ValidationError(
                _("Operators seat coordinators only; the coordinator invites everyone else.")
            )
        return role

    def clean_user(self):
        user = self.cleaned_data.get("user")
        if user is not None and (user.is_staff or user.is_superuser):
            raise forms.ValidationError(_("Operators cannot hold a seat at a table."))
        return user


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Add: a coordinator only. Change: only whether the seat is active (removing access is
    always allowed; roles change through the table's own, approved, process)."""

    form = OperatorMembershipForm
    list_display = ("user", "table", "agency", "role", "is_active")
    list_filter = ("table", "role", "is_active")
    search_fields = ("user__username", "user__email", "agency__name")
    autocomplete_fields = ("user", "agency")
    list_select_related = ("user", "table", "agency")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("user", "table", "agency", "role")
        return ()


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are made and withdrawn on the table's Members page (audited)."""

    list_display = ("table", "agency", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("table", "role")
    exclude = ("token_hash",)
    list_select_related = ("table", "agency")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ReadOnlyAdmin):
    """Read-only: versions are evidence of what people accepted; publish on the Members page."""

    list_display = ("table", "version", "published_at", "published_by")
    list_filter = ("table",)
    list_select_related = ("table", "published_by")


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("user", "version", "accepted_at")
    list_filter = ("version__table",)
    list_select_related = ("user", "version", "version__table")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Operators: people, their second factor, their API tokens -----------------------------------


User = get_user_model()

for _model in (User, TOTPDevice, StaticDevice, AuthToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(User)
class OperatorUserAdmin(DjangoUserAdmin):
    add_form = OperatorUserCreationForm
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email")}),)
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    actions = ["send_password_reset"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if obj is not None:
            # Changing the address would let whoever edits it receive the person's reset link.
            readonly.append("email")
        return readonly

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied("Operators send a password reset link; they never set a password.")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            passwords.send_password_reset(user=obj, actor=request.user, via="admin")

    @admin.action(description=_("Email a password reset link"))
    def send_password_reset(self, request, queryset):
        sent = 0
        for user in queryset:
            if user.is_active and user.email:
                passwords.send_password_reset(user=user, actor=request.user, via="admin")
                sent += 1
        self.message_user(
            request, _("Reset links sent: %(n)d.") % {"n": sent}, level=messages.SUCCESS
        )


class DeviceAdmin(admin.ModelAdmin):
    """Shows only that a device is enrolled. A lost phone is handled by deleting the device: the
    person enrols again at their next sign-in. Secrets and codes are never displayed."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens can be seen and revoked here, never created (a token made here would let the
    operator act as the person)."""

    list_display = ("token_key", "user", "created", "expiry")
    fields = ("token_key", "user", "created", "expiry")
    readonly_fields = fields
    search_fields = ("token_key", "user__username")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
