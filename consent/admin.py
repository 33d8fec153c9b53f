from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AccessEvent, ConsentRecord, Disclosure, DisclosurePolicy


@admin.register(DisclosurePolicy)
class DisclosurePolicyAdmin(admin.ModelAdmin):
    list_display = ("table", "shared_fields", "retention_days")


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "agency", "situation", "action")


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("disclosed_at", "situation", "basis", "disclosed_by", "revoked_at")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("situation", "kind", "given_by", "method", "given_on", "withdrawn_at")
