from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    ProtectiveFactor,
    RiskCategory,
    RiskFactor,
    Situation,
    StatusChange,
    StudyFlag,
    Task,
)


class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_fr", "taxonomy_version", "is_active", "ordering")
    list_filter = ("is_active", "taxonomy_version")
    search_fields = ("code", "name_en", "name_fr")


class RiskFactorInline(admin.TabularInline):
    model = RiskFactor
    extra = 0
    fields = ("code", "name_en", "name_fr", "taxonomy_version", "is_active", "ordering")


@admin.register(RiskCategory)
class RiskCategoryAdmin(TaxonomyAdmin):
    inlines = [RiskFactorInline]


@admin.register(RiskFactor)
class RiskFactorAdmin(TaxonomyAdmin):
    list_display = ("code", "category", *TaxonomyAdmin.list_display[1:])
    list_filter = ("category", *TaxonomyAdmin.list_filter)


admin.site.register(StudyFlag, TaxonomyAdmin)
admin.site.register(ProtectiveFactor, TaxonomyAdmin)


@admin.register(Situation)
class SituationAdmin(ReadOnlyAdmin):
    list_display = ("number", "table", "status", "originating_agency", "created_at")
    list_filter = ("table", "status")
    search_fields = ("number",)
    list_select_related = ("table", "originating_agency")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("table", "scheduled_at", "kind", "closed_at")
    list_filter = ("table", "kind")


for model in (AgendaItem, Attendance, Decision, StatusChange, Task):
    admin.site.register(model, ReadOnlyAdmin)
