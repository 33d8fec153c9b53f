from django.contrib import admin

from .models import Agency, Membership, Sector, Table


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
