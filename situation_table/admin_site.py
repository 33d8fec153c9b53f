"""The operators' admin (``/admin/``), held to the same rules as the product's pages.

* It opens only for a session that passed the second factor (when ``OTP_ENFORCED``).
* Every addition, change and deletion made through it is appended to the audit chain, whichever
  app registered the model: :meth:`OperatorAdminSite.register` gives every ``ModelAdmin`` the
  :class:`AuditedAdminMixin`. The audit data holds the model, the id and the names of the changed
  fields — never the values (they may be names or email addresses).
"""

import json

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

ADMIN_EVENTS = {"add": "admin.added", "change": "admin.changed", "delete": "admin.deleted"}


def _field_names(message) -> list[str]:
    """The field and related-object names in an admin change message, without any value."""
    if isinstance(message, str):
        try:
            message = json.loads(message) if message else []
        except ValueError:
            return []
    names: list[str] = []
    for part in message or []:
        for kind, detail in part.items():
            if not isinstance(detail, dict):
                continue
            if kind == "changed":
                names.extend(str(f) for f in detail.get("fields", []))
            elif "name" in detail:
                # An inline added/changed/deleted: its model name and fields, not its text.
                names.append(f"{kind}:{detail['name']}")
                names.extend(f"{detail['name']}.{f}" for f in detail.get("fields", []))
    return names


def record_admin_event(request, obj, action: str, message=None) -> None:
    from core.audit import record_event

    table = getattr(obj, "table", None)
    record_event(
        actor=request.user,
        event=ADMIN_EVENTS[action],
        table=table
        if getattr(table, "_meta", None) and table._meta.label == "agencies.Table"
        else None,
        obj=obj,
        data={"model": obj._meta.label_lower, "fields": _field_names(message), "via": "admin"},
    )


class AuditedAdminMixin:
    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        record_admin_event(request, obj, "add", message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        record_admin_event(request, obj, "change", message)
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            record_admin_event(request, obj, "delete")
        return entries


class OperatorAdminSite(admin.AdminSite):
    site_header = "Situation Table — operators"
    site_title = "Situation Table operators"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        # An operator's password alone never opens the admin.
        return not settings.OTP_ENFORCED or request.user.is_verified()

    def login(self, request, extra_context=None):
        # One door for everyone: the site's sign-in, with its lockout and delay, then the
        # second factor.
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.GET.get("next") or self.index_url(), "login")

    def index_url(self):
        from django.urls import reverse

        return reverse("admin:index", current_app=self.name)

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                f"Audited{admin_class.__name__}", (AuditedAdminMixin, admin_class), {}
            )
        return super().register(model_or_iterable, admin_class, **options)


class OperatorAdminConfig(AdminConfig):
    default_site = "situation_table.admin_site.OperatorAdminSite"
