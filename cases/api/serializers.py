"""Serializers parse and present; the rules live in ``cases.services``.

Input serializers check types, choices and lengths and resolve ids within the member's table
(an id of another table is "not found" — 400 — never a hint that it exists). Whether the move is
allowed, and everything else, is the service's call.
"""

import datetime
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agencies.models import Agency, Sector
from cases import selectors, visibility
from cases.models import (
    AffectedPerson,
    AffectedRelationship,
    AgeGroup,
    AgendaItem,
    AgendaSection,
    ConclusionReason,
    Decision,
    DecisionKind,
    F2Disposition,
    Gender,
    Meeting,
    MeetingKind,
    OpenTasksOnConclusion,
    ProtectiveFactor,
    RiskFactor,
    Situation,
    Status,
    StudyFlag,
    SubjectType,
    Task,
)
from cases.pii import validate_deidentified
from cases.visibility import Part

# --- Table-scoped id fields ----------------------------------------------------------------------


class ScopedSerializer(serializers.Serializer):
    """Sets the querysets of id fields from the member's access (``context["access"]``).

    ``scoped = {"field": callable(access) -> queryset}``; without an access (schema generation)
    the querysets stay empty.
    """

    scoped: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        access = self.context.get("access")
        if access is None:
            return
        for name, queryset_for in self.scoped.items():
            field = self.fields.get(name)
            if field is None:
                continue
            target = getattr(field, "child_relation", field)
            target.queryset = queryset_for(access)


def table_agencies(access):
    return access.table.agencies.all()


def table_meetings(access):
    return selectors.meetings_visible_to(access)


def table_situations(access):
    return selectors.situations_visible_to(access)


# A table seats a few dozen agencies; a longer list of agency ids is refused before one query
# per id is spent on it (DRF resolves each id separately).
MAX_AGENCIES = 100


class AgencyIdList(serializers.ManyRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_AGENCIES:
            raise serializers.ValidationError(
                _("At most %(max)s agencies are accepted.") % {"max": MAX_AGENCIES}
            )
        return super().to_internal_value(data)


class AgencyIdField(serializers.PrimaryKeyRelatedField):
    @classmethod
    def many_init(cls, *args, **kwargs):
        field = super().many_init(*args, **kwargs)
        field.__class__ = AgencyIdList  # DRF's ManyRelatedField, with the length bound above
        return field


def agency_ids(**kwargs):
    """Agency ids of the table (the view narrows the queryset), at most ``MAX_AGENCIES``."""
    return AgencyIdField(many=True, queryset=Agency.objects.none(), **kwargs)


def meeting_field():
    return serializers.PrimaryKeyRelatedField(
        queryset=Meeting.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The meeting at which this was decided (optional).",
    )


# No situation has more risk factors than the taxonomy holds (about 100 codes); a longer list is
# refused before one query per code is spent on it.
MAX_CODES = 200


class CodeList(serializers.ManyRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_CODES:
            raise serializers.ValidationError(
                _("At most %(max)s codes are accepted.") % {"max": MAX_CODES}
            )
        return super().to_internal_value(data)


class CodeField(serializers.SlugRelatedField):
    """A taxonomy or sector item by its stable code. Text that cannot be a code is "not found"
    before any query: PostgreSQL refuses NUL characters in a query with an error, not a miss."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        field = super().many_init(*args, **kwargs)
        field.__class__ = CodeList  # DRF's ManyRelatedField, with the length bound above
        return field

    def to_internal_value(self, data):
        if not isinstance(data, str) or not CODE.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:60])
        return super().to_internal_value(data)


CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")


def code_list(model, **kwargs):
    return CodeField(
        many=True, slug_field="code", queryset=model.objects.filter(is_active=True), **kwargs
    )


# --- Situations ----------------------------------------------------------------------------------


class AffectedPersonSerializer(serializers.ModelSerializer):
    relationship = serializers.ChoiceField(choices=AffectedRelationship.choices)
    age_group = serializers.ChoiceField(choices=AgeGroup.choices)
    count = serializers.IntegerField(min_value=1, max_value=20)

    class Meta:
        model = AffectedPerson
        fields = ["relationship", "age_group", "count"]


class DecisionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    data = serializers.JSONField(
        read_only=True,
        help_text="The decision as codes: agencies named, lead and assisting, reason.",
    )
    summary = serializers.CharField(
        read_only=True, help_text="The decision in the request's language (Accept-Language)."
    )

    class Meta:
        model = Decision
        fields = ["id", "kind", "note", "data", "summary", "detail", "meeting", "decided_at"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    situation_number = serializers.CharField(source="situation.number", read_only=True)
    is_done = serializers.BooleanField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "situation",
            "situation_number",
            "owner_agency",
            "description",
            "due_date",
            "meeting",
            "created_at",
            "done_at",
            "is_done",
            "is_overdue",
        ]
        read_only_fields = fields


# Which part of a situation (``cases.visibility.Part``) each field belongs to. A field whose part
# the member may not see is absent from the response, not merely empty.
FIELD_PARTS = {
    "subject_type": Part.LIMITED,
    "age_group": Part.LIMITED,
    "gender": Part.LIMITED,
    "risk_factors": Part.SUMMARY,
    "study_flags": Part.SUMMARY,
    "protective_factors": Part.SUMMARY,
    "affected_persons": Part.SUMMARY,
    "narrative": Part.NARRATIVE,
    "lead_agency": Part.DECISIONS,
    "f2_disposition": Part.DECISIONS,
    "f2_reason": Part.DECISIONS,
    "aer_significant_interest": Part.DECISIONS,
    "aer_probability_of_harm": Part.DECISIONS,
    "aer_severity_of_harm": Part.DECISIONS,
    "aer_multi_sector": Part.DECISIONS,
    "f3_agencies": Part.DECISIONS,
    "assisting_agencies": Part.DECISIONS,
    "services_mobilized": Part.DECISIONS,
    "conclusion_reason": Part.DECISIONS,
    "conclusion_note": Part.DECISIONS,
    "first_intervention_at": Part.REPORT_BACK,
    "open_tasks": Part.F4_DETAIL,
    "tasks": Part.F4_DETAIL,
}


class SituationSerializer(serializers.ModelSerializer):
    """A situation in a list: de-identified by construction (no identifying field exists here),
    and cut to what the visibility policy lets the member see of it."""

    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices, read_only=True)
    age_group = serializers.ChoiceField(choices=AgeGroup.choices, read_only=True)
    gender = serializers.ChoiceField(choices=Gender.choices, read_only=True)
    f2_disposition = serializers.ChoiceField(
        choices=[("", "—"), *F2Disposition.choices], read_only=True
    )
    risk_factors = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)
    open_tasks = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Situation
        fields = [
            "id",
            "number",
            "status",
            "filter_stage",
            "subject_type",
            "age_group",
            "gender",
            "originating_agency",
            "lead_agency",
            "risk_factors",
            "f1_attested_at",
            "f2_disposition",
            "f2_decided_at",
            "f3_at",
            "f4_planned_at",
            "concluded_at",
            "open_tasks",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, situation):
        data = super().to_representation(situation)
        view = visibility.sight(self.context.get("access"), situation)
        for name in list(data):
            part = FIELD_PARTS.get(name)
            if part is not None and part not in view:
                del data[name]
        if "decisions" in data:
            data["decisions"] = [
                d
                for d, decision in zip(data["decisions"], situation.decisions.all(), strict=True)
                if visibility.decision_part(decision.kind) in view
            ]
            if Part.F4_DETAIL not in view:
                for d in data["decisions"]:
                    d.pop("detail", None)
        return data


class SituationDetailSerializer(SituationSerializer):
    study_flags = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)
    protective_factors = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)
    services_mobilized = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)
    affected_persons = AffectedPersonSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)
    conclusion_reason = serializers.ChoiceField(
        choices=[("", "—"), *ConclusionReason.choices], read_only=True
    )
    may_edit = serializers.SerializerMethodField()

    class Meta(SituationSerializer.Meta):
        fields = [
            *[f for f in SituationSerializer.Meta.fields if f != "open_tasks"],
            "narrative",
            "study_flags",
            "protective_factors",
            "affected_persons",
            "f2_reason",
            "aer_significant_interest",
            "aer_probability_of_harm",
            "aer_severity_of_harm",
            "aer_multi_sector",
            "f3_agencies",
            "assisting_agencies",
            "services_mobilized",
            "first_intervention_at",
            "conclusion_reason",
            "conclusion_note",
            "decisions",
            "tasks",
            "may_edit",
        ]
        read_only_fields = fields

    def get_may_edit(self, situation) -> bool:
        access = self.context.get("access")
        return bool(access and selectors.may_edit(access, situation))


class SituationWriteSerializer(serializers.Serializer):
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    age_group = serializers.ChoiceField(choices=AgeGroup.choices)
    gender = serializers.ChoiceField(choices=Gender.choices)
    narrative = serializers.CharField(
        max_length=4000,
        validators=[validate_deidentified],
        help_text="De-identified: no names, dates of birth, addresses, phone or health numbers.",
    )
    risk_factors = code_list(RiskFactor, allow_empty=False, help_text="Risk factor codes.")
    study_flags = code_list(StudyFlag, required=False)
    protective_factors = code_list(ProtectiveFactor, required=False)
    affected_persons = AffectedPersonSerializer(many=True, required=False, max_length=10)


# --- Filter transitions ------------------------------------------------------------------------


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class CurrentItemSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class DecisionReasonSerializer(ScopedSerializer):
    reason = serializers.CharField(max_length=1000)
    meeting = meeting_field()
    scoped = {"meeting": table_meetings}


class AcceptSerializer(ScopedSerializer):
    aer_significant_interest = serializers.BooleanField(default=False)
    aer_probability_of_harm = serializers.BooleanField(default=False)
    aer_severity_of_harm = serializers.BooleanField(default=False)
    aer_multi_sector = serializers.BooleanField(default=False)
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    meeting = meeting_field()
    scoped = {"meeting": table_meetings}


class Filter3Serializer(ScopedSerializer):
    agencies = agency_ids(allow_empty=False)
    meeting = meeting_field()
    scoped = {"agencies": table_agencies, "meeting": table_meetings}


class PlanSerializer(ScopedSerializer):
    lead_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.none())
    assisting_agencies = agency_ids(required=False)
    services_mobilized = CodeField(
        many=True, slug_field="code", queryset=Sector.objects.all(), required=False
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    meeting = meeting_field()
    scoped = {
        "lead_agency": table_agencies,
        "assisting_agencies": table_agencies,
        "meeting": table_meetings,
    }


class ReportBackSerializer(ScopedSerializer):
    note = serializers.CharField(max_length=2000)
    detail = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    first_intervention_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    meeting = meeting_field()
    scoped = {"meeting": table_meetings}


class ConcludeSerializer(ScopedSerializer):
    reason = serializers.ChoiceField(choices=ConclusionReason.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    open_tasks = serializers.ChoiceField(
        choices=OpenTasksOnConclusion.choices,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required when tasks are open: `close` them or `keep` them with their agencies.",
    )
    meeting = meeting_field()
    scoped = {"meeting": table_meetings}


# --- Tasks ---------------------------------------------------------------------------------------


class TaskCreateSerializer(ScopedSerializer):
    situation = serializers.PrimaryKeyRelatedField(queryset=Situation.objects.none())
    owner_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.none())
    description = serializers.CharField(max_length=300)
    due_date = serializers.DateField()
    meeting = meeting_field()
    scoped = {
        "situation": table_situations,
        "owner_agency": table_agencies,
        "meeting": table_meetings,
    }


# --- Meetings ------------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    # Plain text on the way out: an empty link is "", which is not a URI.
    video_link = serializers.CharField(read_only=True)
    agenda_size = serializers.IntegerField(read_only=True)
    decisions_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "scheduled_at",
            "kind",
            "location",
            "video_link",
            "notes",
            "started_at",
            "closed_at",
            "current_item",
            "version",
            "agenda_size",
            "decisions_count",
        ]
        read_only_fields = fields


# Meetings are scheduled within this century: an earlier or later date is a typo, and dates before
# standard time (1883) even have offsets in seconds that RFC 3339 cannot write.
EARLIEST_MEETING = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST_MEETING = datetime.datetime(2099, 12, 31, tzinfo=datetime.UTC)


class MeetingWriteSerializer(serializers.Serializer):
    # The date rule (2000 to five years ahead) lives in the service, for the UI and the API alike.
    scheduled_at = serializers.DateTimeField(help_text="From 2000 to five years from now.")
    kind = serializers.ChoiceField(choices=MeetingKind.choices, default=MeetingKind.REGULAR)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    video_link = serializers.URLField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class AgendaItemSerializer(serializers.ModelSerializer):
    section = serializers.ChoiceField(choices=AgendaSection.choices)
    situation_number = serializers.CharField(source="situation.number", read_only=True)
    situation_status = serializers.ChoiceField(source="situation.status", choices=Status.choices)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "situation",
            "situation_number",
            "situation_status",
            "section",
            "position",
            "discussed_at",
        ]
        read_only_fields = fields


class AgendaAddSerializer(ScopedSerializer):
    situation = serializers.PrimaryKeyRelatedField(queryset=Situation.objects.none())
    scoped = {"situation": table_situations}


class AgendaFillSerializer(serializers.Serializer):
    added = serializers.IntegerField()


class AttendanceSerializer(serializers.Serializer):
    agency = serializers.IntegerField(source="agency.pk")
    agency_name = serializers.CharField(source="agency.name")
    present = serializers.BooleanField(allow_null=True, help_text="null: not recorded yet.")


class AttendanceWriteSerializer(ScopedSerializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.none())
    present = serializers.BooleanField()
    scoped = {"agency": table_agencies}
