"""Situations and the four filters, tasks, meetings and agendas, under /api/v1/tables/{table_id}/.

Thin views: resolve the member's access (``TableScopedMixin``: 404 for non-members, 403 without
the capability the browser view needs), parse with a serializer, call one selector or service.
Services check the actor's right again, lock rows, validate the move and write the audit rows,
so the API and the UI cannot disagree. State errors answer 409, bad input 400.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.api.common import TableScopedMixin
from agencies.permissions import Capability
from cases import selectors, services
from cases.models import F2Disposition, Meeting, Situation, Task
from core.api.schema import int_or_404, responses

from . import serializers as s
from .filters import MeetingFilter, SituationFilter, TaskFilter

C = Capability


def _detail(view, situation_id, code=status.HTTP_200_OK, *, acted=True) -> Response:
    """The situation as the member may now see it. After an action that took it out of the
    member's sight (a chair returning it at Filter 2: it goes back inside its agency), the answer
    is still 200 with what the visibility policy leaves: the id, number and status."""
    try:
        situation = selectors.situation_detail(view.access, situation_id)
    except Http404:
        if not acted:
            raise
        situation = Situation.objects.get(pk=situation_id, table=view.access.table)
    data = s.SituationDetailSerializer(situation, context=view.get_serializer_context()).data
    return Response(data, status=code)


def _transition(summary, request, *, description=""):
    """Schema for a Filter transition: the situation afterwards, or 400/409."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses=responses({200: s.SituationDetailSerializer}, 400, 409),
    )


@extend_schema_view(
    list=extend_schema(summary="Situations of the table (de-identified)"),
    retrieve=extend_schema(summary="One situation (de-identified)"),
)
@extend_schema(tags=["situations"])
class SituationViewSet(TableScopedMixin, viewsets.GenericViewSet):
    queryset = Situation.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.SituationSerializer
    filterset_class = SituationFilter
    lookup_url_kwarg = "situation_id"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_capability = C.VIEW_SITUATIONS
    capabilities = {
        "create": C.CREATE_SITUATION,
        "attest": C.CREATE_SITUATION,
        "accept": C.RECORD_DECISIONS,
        "reject": C.RECORD_DECISIONS,
        "return_to_agency": C.RECORD_DECISIONS,
        "f3": C.DISCLOSE,
        "plan": C.RECORD_DECISIONS,
        "conclude": C.RECORD_DECISIONS,
        # The services decide: the originator may edit or withdraw, the chair or the lead agency
        # may report back.
        "partial_update": C.VIEW_SITUATIONS,
        "withdraw": C.VIEW_SITUATIONS,
        "report_back": C.VIEW_SITUATIONS,
    }

    def get_queryset(self):
        # Explicit: Meta.ordering is not applied to the selector's aggregate (GROUP BY) query.
        return selectors.situation_list(self.access).order_by("-created_at", "-id")

    def get_situation(self) -> Situation:
        return selectors.get_situation(self.access, int_or_404(self.kwargs["situation_id"]))

    def parse(self, serializer_class, *, partial=False):
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def list(self, request, table_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=responses({200: s.SituationDetailSerializer}))
    def retrieve(self, request, table_id=None, situation_id=None):
        return _detail(self, int_or_404(situation_id), acted=False)

    @extend_schema(
        summary="Log a de-identified situation for your agency (a draft)",
        request=s.SituationWriteSerializer,
        responses=responses({201: s.SituationDetailSerializer}, 400),
    )
    def create(self, request, table_id=None):
        data = self.parse(s.SituationWriteSerializer)
        situation = services.create_situation(actor=request.user, table=self.access.table, **data)
        return _detail(self, situation.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit your agency's situation (until the Filter 2 decision)",
        request=s.SituationWriteSerializer,
        responses=responses({200: s.SituationDetailSerializer}, 400, 409),
    )
    def partial_update(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        data = self.parse(s.SituationWriteSerializer, partial=True)
        services.update_situation(actor=request.user, situation=situation, **data)
        return _detail(self, situation.pk)

    @_transition("Filter 1: attest that your agency has exhausted its own means", None)
    @action(detail=True, methods=["post"])
    def attest(self, request, table_id=None, situation_id=None):
        situation = services.attest_filter1(actor=request.user, situation=self.get_situation())
        return _detail(self, situation.pk)

    @_transition("Withdraw the situation (before the Filter 2 decision)", s.ReasonSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        data = self.parse(s.ReasonSerializer)
        services.withdraw_situation(actor=request.user, situation=situation, **data)
        return _detail(self, situation.pk)

    def _filter2(self, disposition, serializer_class):
        situation = self.get_situation()
        data = dict(self.parse(serializer_class))
        elements = {name: data.pop(name, False) for name in services.AER_ELEMENTS}
        services.record_filter2_decision(
            actor=self.request.user,
            situation=situation,
            disposition=disposition,
            aer_elements=elements,
            **data,
        )
        return _detail(self, situation.pk)

    @_transition(
        "Filter 2: accept as acutely elevated risk",
        s.AcceptSerializer,
        description="All four elements of acutely elevated risk must be true.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, table_id=None, situation_id=None):
        return self._filter2(F2Disposition.ACCEPTED, s.AcceptSerializer)

    @_transition("Filter 2: reject (not AER; stays with the agency)", s.DecisionReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, table_id=None, situation_id=None):
        return self._filter2(F2Disposition.REJECTED, s.DecisionReasonSerializer)

    @_transition(
        "Filter 2: return to the originating agency for more information",
        s.DecisionReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_agency(self, request, table_id=None, situation_id=None):
        return self._filter2(F2Disposition.RETURNED, s.DecisionReasonSerializer)

    @_transition(
        "Filter 3: name the agencies that may be involved",
        s.Filter3Serializer,
        description="Identifying information itself is disclosed with …/disclosures/.",
    )
    @action(detail=True, methods=["post"])
    def f3(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        data = self.parse(s.Filter3Serializer)
        services.record_filter3(actor=request.user, situation=situation, **data)
        return _detail(self, situation.pk)

    @_transition("Filter 4: set the lead and assisting agencies", s.PlanSerializer)
    @action(detail=True, methods=["post"])
    def plan(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        data = self.parse(s.PlanSerializer)
        services.plan_intervention(actor=request.user, situation=situation, **data)
        return _detail(self, situation.pk)

    @_transition("Report back on the intervention (chair or lead agency)", s.ReportBackSerializer)
    @action(detail=True, methods=["post"], url_path="report-back")
    def report_back(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        data = self.parse(s.ReportBackSerializer)
        services.record_report_back(actor=request.user, situation=situation, **data)
        return _detail(self, situation.pk)

    @_transition("Conclude with an RTD conclusion reason", s.ConcludeSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        data = self.parse(s.ConcludeSerializer)
        services.conclude_situation(actor=request.user, situation=situation, **data)
        return _detail(self, situation.pk)


@extend_schema_view(
    list=extend_schema(summary="Follow-up tasks of the table"),
    retrieve=extend_schema(summary="One task"),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(TableScopedMixin, viewsets.GenericViewSet):
    queryset = Task.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter
    lookup_url_kwarg = "task_id"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "head", "options"]
    # The services decide who may add (chair, lead agency) or complete (owner agency, chair).
    default_capability = C.VIEW_SITUATIONS

    def get_queryset(self):
        return (
            selectors.tasks_visible_to(self.access)
            .select_related("situation")
            .order_by("done_at", "due_date", "id")
        )

    def get_task(self) -> Task:
        return selectors.get_task(self.access, int_or_404(self.kwargs["task_id"]))

    def list(self, request, table_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, table_id=None, task_id=None):
        return Response(self.get_serializer(self.get_task()).data)

    @extend_schema(
        summary="Add a follow-up task to an accepted situation (chair or lead agency)",
        request=s.TaskCreateSerializer,
        responses=responses({201: s.TaskSerializer}, 400, 409),
    )
    def create(self, request, table_id=None):
        form = s.TaskCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        task = services.add_task(actor=request.user, **form.validated_data)
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark a task done (owner agency or chair)",
        request=None,
        responses=responses({200: s.TaskSerializer}, 409),
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, table_id=None, task_id=None):
        task = services.complete_task(actor=request.user, task=self.get_task())
        return Response(self.get_serializer(task).data)


@extend_schema_view(
    list=extend_schema(summary="Meetings of the table"),
    retrieve=extend_schema(summary="One meeting"),
)
@extend_schema(tags=["meetings"])
class MeetingViewSet(TableScopedMixin, viewsets.GenericViewSet):
    queryset = Meeting.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilter
    lookup_url_kwarg = "meeting_id"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    default_capability = C.VIEW_SITUATIONS
    capabilities = {
        "create": C.MANAGE_MEETINGS,
        "partial_update": C.MANAGE_MEETINGS,
        "start": C.MANAGE_MEETINGS,
        "close": C.MANAGE_MEETINGS,
        "reopen": C.MANAGE_MEETINGS,
        "current": C.MANAGE_MEETINGS,
        "add_to_agenda": C.MANAGE_MEETINGS,
        "remove_from_agenda": C.MANAGE_MEETINGS,
        "fill_agenda": C.MANAGE_MEETINGS,
        "record_attendance": C.MANAGE_MEETINGS,
    }

    def get_queryset(self):
        return selectors.meeting_list(self.access).order_by("-scheduled_at", "-id")

    def get_meeting(self) -> Meeting:
        return selectors.get_meeting(self.access, int_or_404(self.kwargs["meeting_id"]))

    def _meeting_response(self, meeting, code=status.HTTP_200_OK) -> Response:
        annotated = self.get_queryset().get(pk=meeting.pk)
        return Response(self.get_serializer(annotated).data, status=code)

    def list(self, request, table_id=None):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, table_id=None, meeting_id=None):
        return self._meeting_response(self.get_meeting())

    @extend_schema(
        summary="Schedule a meeting (its agenda fills with the open situations)",
        request=s.MeetingWriteSerializer,
        responses=responses({201: s.MeetingSerializer}, 400),
    )
    def create(self, request, table_id=None):
        form = s.MeetingWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        # Like the UI: a new meeting's agenda fills itself (returning, then new situations).
        meeting, _added = services.schedule_meeting(
            actor=request.user, table=self.access.table, **form.validated_data
        )
        return self._meeting_response(meeting, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a meeting that is not closed",
        request=s.MeetingWriteSerializer,
        responses=responses({200: s.MeetingSerializer}, 400, 409),
    )
    def partial_update(self, request, table_id=None, meeting_id=None):
        meeting = self.get_meeting()
        form = s.MeetingWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        services.update_meeting(actor=request.user, meeting=meeting, **form.validated_data)
        return self._meeting_response(meeting)

    @extend_schema(
        summary="Start the meeting (meeting mode)",
        request=None,
        responses=responses({200: s.MeetingSerializer}, 409),
    )
    @action(detail=True, methods=["post"])
    def start(self, request, table_id=None, meeting_id=None):
        meeting = services.start_meeting(actor=request.user, meeting=self.get_meeting())
        return self._meeting_response(meeting)

    @extend_schema(
        summary="Close the meeting (its agenda and attendance can no longer change)",
        request=None,
        responses=responses({200: s.MeetingSerializer}, 409),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, table_id=None, meeting_id=None):
        meeting = services.close_meeting(actor=request.user, meeting=self.get_meeting())
        return self._meeting_response(meeting)

    @extend_schema(
        summary="Re-open a closed meeting to correct its minutes (with a reason; audited)",
        request=s.ReasonSerializer,
        responses=responses({200: s.MeetingSerializer}, 400, 409),
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, table_id=None, meeting_id=None):
        meeting = self.get_meeting()
        form = s.ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        meeting = services.reopen_meeting(
            actor=request.user, meeting=meeting, reason=form.validated_data["reason"]
        )
        return self._meeting_response(meeting)

    @extend_schema(
        summary="Show an agenda item to every follower (the live meeting's current item)",
        request=s.CurrentItemSerializer,
        responses=responses({200: s.MeetingSerializer}, 400, 409),
    )
    @action(detail=True, methods=["post"])
    def current(self, request, table_id=None, meeting_id=None):
        meeting = self.get_meeting()
        form = s.CurrentItemSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = meeting.agenda_items.filter(pk=form.validated_data["item"]).first()
        if item is None:
            raise Http404
        meeting = services.set_current_item(actor=request.user, meeting=meeting, item=item)
        return self._meeting_response(meeting)

    @extend_schema(
        summary="The agenda: returning situations first, then new presentations",
        responses=responses({200: s.AgendaItemSerializer(many=True)}),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def agenda(self, request, table_id=None, meeting_id=None):
        items = selectors.agenda(self.access, self.get_meeting())
        return Response(s.AgendaItemSerializer(items, many=True).data)

    @extend_schema(
        summary="Put a situation on the agenda",
        request=s.AgendaAddSerializer,
        responses=responses({201: s.AgendaItemSerializer}, 400, 409),
    )
    @agenda.mapping.post
    def add_to_agenda(self, request, table_id=None, meeting_id=None):
        meeting = self.get_meeting()
        form = s.AgendaAddSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        item = services.add_to_agenda(actor=request.user, meeting=meeting, **form.validated_data)
        return Response(s.AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take an item off the agenda",
        request=None,
        responses=responses({204: None}, 409),
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"agenda/(?P<item_id>[^/]+)",
        filterset_class=None,
    )
    def remove_from_agenda(self, request, table_id=None, meeting_id=None, item_id=None):
        item = self.get_meeting().agenda_items.filter(pk=int_or_404(item_id)).first()
        if item is None:
            raise Http404
        services.remove_from_agenda(actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add every attested and returning situation not yet on the agenda",
        request=None,
        responses=responses({200: s.AgendaFillSerializer}, 409),
    )
    @action(detail=True, methods=["post"], url_path="agenda/fill", filterset_class=None)
    def fill_agenda(self, request, table_id=None, meeting_id=None):
        added = services.fill_agenda(actor=request.user, meeting=self.get_meeting())
        return Response({"added": added})

    @extend_schema(
        summary="Attendance: every member agency, present, absent or not recorded",
        responses=responses({200: s.AttendanceSerializer(many=True)}),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def attendance(self, request, table_id=None, meeting_id=None):
        rows = [
            {"agency": agency, "present": record.present if record else None}
            for agency, record in selectors.attendance_for(self.get_meeting())
        ]
        return Response(s.AttendanceSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record an agency's attendance",
        request=s.AttendanceWriteSerializer,
        responses=responses({200: s.AttendanceSerializer}, 400, 409),
    )
    @attendance.mapping.post
    def record_attendance(self, request, table_id=None, meeting_id=None):
        meeting = self.get_meeting()
        form = s.AttendanceWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        record = services.record_attendance(
            actor=request.user, meeting=meeting, **form.validated_data
        )
        return Response(s.AttendanceSerializer(record).data)
