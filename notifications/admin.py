from django.contrib import admin

from .models import Notification, NotificationPreference


class AbandonedFilter(admin.SimpleListFilter):
    """Unsent notifications past NOTIFICATION_MAX_ATTEMPTS (counted in /healthz)."""

    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("abandoned", "abandoned (past the attempt cap, retried slowly)")]

    def queryset(self, request, queryset):
        if self.value() == "abandoned":
            from .services import abandoned_notifications

            return queryset.filter(pk__in=abandoned_notifications().values("pk"))
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """For operators watching the outbox: what is due, sent, stuck or failing. Read-only."""

    list_display = (
        "id",
        "kind",
        "table",
        "recipient",
        "slot",
        "due_at",
        "sent_at",
        "attempts",
        "last_error",
    )
    list_filter = (AbandonedFilter, "kind", "table", ("sent_at", admin.EmptyFieldListFilter))
    list_select_related = ("table", "recipient")
    date_hierarchy = "due_at"
    search_fields = ("slot", "data__number")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "digest_opt_out", "language", "updated_at")
    list_filter = ("digest_opt_out", "language")
    list_select_related = ("user",)
