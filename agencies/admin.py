from django.contrib import admin

from .models import (
    Agency,
    AgreementAcceptance,
    AgreementVersion,
    Invitation,
    Membership,
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
    model = Membership
    extra = 0
    autocomplete_fields = ("user", "agency")


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "created_at")
    search_fields = ("name", "code")
    filter_horizontal = ("agencies",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "table", "agency", "role", "is_active")
    list_filter = ("table", "role", "is_active")
    search_fields = ("user__username", "user__email", "agency__name")
    autocomplete_fields = ("user", "agency")
    list_select_related = ("user", "table", "agency")


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
class AgreementVersionAdmin(admin.ModelAdmin):
    """Read-only: versions are evidence of what people accepted; publish on the Members page."""

    list_display = ("table", "version", "published_at", "published_by")
    list_filter = ("table",)
    list_select_related = ("table", "published_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
