"""Query filters for the API lists. They narrow a queryset that a selector already scoped to the
member's table; they can never widen it. Bad values answer 400 (django-filter validates them)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.models import OPEN_STATUSES, Meeting, Situation, Status, Task

# Ids are bigints: a larger number is simply invalid input, not a database error.
MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class SituationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", _("Open (draft to intervention)")), *Status.choices],
        method="filter_status",
    )
    meeting = IdFilter(
        method="filter_meeting", help_text="Only situations on this meeting's agenda."
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", help_text="Only situations your agency brought to the table."
    )
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains", max_length=40)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    decided_after = django_filters.DateFilter(
        field_name="f2_decided_at", lookup_expr="date__gte", help_text="Filter 2 decision date."
    )
    decided_before = django_filters.DateFilter(field_name="f2_decided_at", lookup_expr="date__lte")

    class Meta:
        model = Situation
        fields = []

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_meeting(self, queryset, name, value):
        return queryset.filter(agenda_items__meeting_id=value)

    def filter_mine(self, queryset, name, value):
        agency = self.request.table_access.agency
        if value:
            return queryset.filter(originating_agency=agency)
        return queryset.exclude(originating_agency=agency)


class MeetingFilter(django_filters.FilterSet):
    scheduled_after = django_filters.DateFilter(field_name="scheduled_at", lookup_expr="date__gte")
    scheduled_before = django_filters.DateFilter(field_name="scheduled_at", lookup_expr="date__lte")
    closed = django_filters.BooleanFilter(
        field_name="closed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Meeting
        fields = []


class TaskFilter(django_filters.FilterSet):
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)
    mine = django_filters.BooleanFilter(
        method="filter_mine", help_text="Only tasks your agency owns."
    )
    situation = IdFilter(field_name="situation_id")
    owner_agency = IdFilter(field_name="owner_agency_id")
    meeting = IdFilter(field_name="meeting_id")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Task
        fields = []

    def filter_mine(self, queryset, name, value):
        agency = self.request.table_access.agency
        if value:
            return queryset.filter(owner_agency=agency)
        return queryset.exclude(owner_agency=agency)
