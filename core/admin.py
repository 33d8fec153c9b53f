from django.contrib import admin

from .models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence and history: operators can read them, never add, edit or delete them. (Situations
    change only through the four-filter services, which audit every change; logs never change.)"""

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
