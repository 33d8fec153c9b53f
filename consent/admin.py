from django.contrib import admin

from .models import AccessEvent, AuditEvent, ConsentRecord, Disclosure, DisclosurePolicy


@admin.register(DisclosurePolicy)
class DisclosurePolicyAdmin(admin.ModelAdmin):
    list_display = ("table", "shared_fields", "retention_days")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs are evidence: operators can read them, never edit or delete them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_label", "event", "object_type", "object_id")
    list_filter = ("event",)


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "agency", "situation", "action")


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("disclosed_at", "situation", "basis", "disclosed_by", "revoked_at")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("situation", "kind", "given_by", "method", "given_on", "withdrawn_at")
