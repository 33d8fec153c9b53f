"""Statistics and exports as JSON: thin wrappers over the ``reports`` app's functions.

Same capabilities as the browser pages (statistics: ``VIEW_STATISTICS``; RTD export and meeting
summary: ``EXPORT``), the same date-range form with the same 400 messages, and the same scoped
selectors underneath, so the API can never show more than the screen. Exports are logged with ids
and codes only, like the CSV downloads.
"""

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agencies.api.common import TableScopedMixin
from agencies.permissions import Capability
from cases import selectors
from core.api.schema import int_or_404, paginated, responses

from . import exports
from .forms import DateRangeForm, range_form
from .statistics import compute_statistics
from .summary import build_meeting_summary

logger = logging.getLogger(__name__)

RANGE_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day (default: twelve months ago)."
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)."),
]


def _period(params, form_class=None):
    form = form_class(params) if form_class else range_form(params)
    period = form.resolve()
    if period is None:
        raise ValidationError(form.error_messages_by_field())
    return form, period


# --- Statistics ----------------------------------------------------------------------------------


class TallySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    label = serializers.CharField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    returned = serializers.IntegerField()
    total = serializers.IntegerField()


class MobilizationSerializer(serializers.Serializer):
    measured = serializers.IntegerField()
    not_recorded = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    buckets = TallySerializer(many=True)


class PairSerializer(serializers.Serializer):
    first = TallySerializer()
    second = TallySerializer()
    value = serializers.IntegerField()


class CodeLabelSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class CrosstabSerializer(serializers.Serializer):
    rows = CodeLabelSerializer(many=True)
    columns = CodeLabelSerializer(many=True)
    values = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="One list per row, one count per column.",
    )

    def to_representation(self, tab):
        return {
            "rows": [{"code": c, "label": str(label)} for c, label in tab.rows],
            "columns": [{"code": c, "label": str(label)} for c, label in tab.columns],
            "values": [[tab.value(r, c) for c, _l in tab.columns] for r, _l in tab.rows],
        }


class AgencyRoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    led = serializers.IntegerField()
    assisted = serializers.IntegerField()


class AgencyAttendanceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    present = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class StatisticsSerializer(serializers.Serializer):
    period = PeriodSerializer()
    discussed = serializers.IntegerField()
    accepted = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    concluded = serializers.IntegerField()
    connection_rate = serializers.FloatField(allow_null=True)
    months = MonthSerializer(many=True)
    f2 = TallySerializer(many=True)
    risk_categories = TallySerializer(many=True)
    age_groups = TallySerializer(many=True)
    genders = TallySerializer(many=True)
    originating_sectors = TallySerializer(many=True)
    mobilization = MobilizationSerializer()
    outcomes = TallySerializer(many=True)
    co_occurring = PairSerializer(many=True)
    risk_by_age = CrosstabSerializer()
    risk_by_gender = CrosstabSerializer()
    agencies = AgencyRoleSerializer(many=True)
    meetings_held = serializers.IntegerField()
    attendance = AgencyAttendanceSerializer(many=True)


# --- Exports -------------------------------------------------------------------------------------

RtdRowSerializer = type(
    "RtdRowSerializer",
    (serializers.Serializer,),
    {column: serializers.CharField() for column in exports.RTD_COLUMNS},
)


class SummaryAttendanceSerializer(serializers.Serializer):
    agency = serializers.CharField()
    short_name = serializers.CharField()
    sector = serializers.CharField()
    state = serializers.ChoiceField(choices=["present", "absent", "not_recorded"])
    state_label = serializers.CharField()


class SummaryDecisionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    note = serializers.CharField()


class SummaryTaskSerializer(serializers.Serializer):
    owner = serializers.CharField()
    description = serializers.CharField()
    due_date = serializers.DateField()
    state = serializers.ChoiceField(choices=["done", "open", "overdue"])
    state_label = serializers.CharField()
    assigned_here = serializers.BooleanField()


class SummaryItemSerializer(serializers.Serializer):
    number = serializers.CharField()
    section = serializers.CharField()
    section_label = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    originating_agency = serializers.CharField()
    f2_decision = serializers.CharField()
    f2_decision_label = serializers.CharField()
    f2_date = serializers.DateField(allow_null=True)
    lead_agency = serializers.CharField()
    assisting_agencies = serializers.ListField(child=serializers.CharField())
    decisions = SummaryDecisionSerializer(many=True)
    tasks = SummaryTaskSerializer(many=True)
    conclusion = serializers.CharField()
    conclusion_label = serializers.CharField()
    conclusion_date = serializers.DateField(allow_null=True)


class MeetingSummarySerializer(serializers.Serializer):
    table_name = serializers.CharField()
    table_code = serializers.CharField()
    meeting = serializers.IntegerField(source="meeting.pk")
    scheduled_at = serializers.DateTimeField(source="meeting.scheduled_at")
    kind_label = serializers.CharField()
    present_count = serializers.IntegerField()
    decisions_count = serializers.IntegerField()
    tasks_count = serializers.IntegerField()
    attendance = SummaryAttendanceSerializer(many=True)
    items = SummaryItemSerializer(many=True)
    generated_at = serializers.DateTimeField()


class RtdExportForm(DateRangeForm):
    def __init__(self, data=None, **kwargs):
        from django import forms

        super().__init__(data, **kwargs)
        self.fields["values"] = forms.ChoiceField(
            choices=[("codes", "codes"), ("labels", "labels")], required=False
        )


def _log(request, access, kind: str, **data) -> None:
    # Ids and codes only: what was exported, by whom, never any content.
    logger.info(
        "api export kind=%s table=%s user=%s %s",
        kind,
        access.table.pk,
        request.user.pk,
        " ".join(f"{k}={v}" for k, v in sorted(data.items())),
    )


@extend_schema(tags=["reports"])
class ReportViewSet(TableScopedMixin, viewsets.GenericViewSet):
    default_capability = Capability.EXPORT
    capabilities = {"statistics": Capability.VIEW_STATISTICS}
    filter_backends = []
    serializer_class = StatisticsSerializer

    @extend_schema(
        summary="Shared performance measures for a period (Filter 2 discussions in it)",
        parameters=RANGE_PARAMETERS,
        responses=responses({200: StatisticsSerializer}, 400),
    )
    def statistics(self, request, table_id=None):
        _form, period = _period(request.query_params)
        stats = compute_statistics(self.access, period)
        return Response(StatisticsSerializer(stats).data)

    @extend_schema(
        summary="RTD-compatible export of the situations discussed at Filter 2 in a period",
        description="One object per situation, with the columns of the RTD CSV export.",
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter(
                "values",
                str,
                enum=["codes", "labels"],
                description="Stable codes (default) or labels in the request's language.",
            ),
            OpenApiParameter("page", int, description="Page number."),
            OpenApiParameter("page_size", int, description="Rows per page (at most 200)."),
        ],
        responses=responses({200: paginated(RtdRowSerializer, "PaginatedRtdRowList")}, 400),
    )
    def rtd(self, request, table_id=None):
        form, period = _period(request.query_params, RtdExportForm)
        labels = form.is_bound and form.cleaned_data.get("values") == "labels"
        situations = exports.rtd_situations(
            selectors.situations_visible_to(self.access), period, table=self.access.table
        )
        page = self.paginate_queryset(situations.values_list("pk", flat=True))
        chunk = situations.filter(pk__in=list(page))
        rows = [
            dict(zip(exports.RTD_COLUMNS, (str(v) for v in row), strict=True))
            for row in exports.rtd_rows(chunk, labels=labels)
        ]
        _log(request, self.access, "rtd", start=period.start, end=period.end, labels=labels)
        return self.get_paginated_response(rows)

    @extend_schema(
        summary="Meeting summary (de-identified): attendance, decisions, tasks",
        responses=responses({200: MeetingSummarySerializer}),
    )
    def meeting_summary(self, request, table_id=None, meeting_id=None):
        meeting = selectors.get_meeting(self.access, int_or_404(meeting_id))
        summary = build_meeting_summary(self.access, meeting)
        _log(request, self.access, "meeting_summary", meeting=meeting.pk)
        return Response(MeetingSummarySerializer(summary).data)
