"""Situations, the four filters, meetings, decisions and follow-up tasks.

Everything here is de-identified: age groups, genders, risk factors and a narrative that the PII
guard has checked. Identifying information lives in the ``consent`` app, encrypted.
State changes happen only through ``cases.services``; models hold data and simple derivations.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Sector, Table

# --- Taxonomy (RTD-aligned, seeded by data migration, versioned, stable codes) -------------------


class TaxonomyItem(models.Model):
    """A bilingual, versioned item with a stable export code."""

    code = models.CharField(
        _("code"),
        max_length=60,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9.-]*$", _("Lower-case letters, digits, . and -"))
        ],
    )
    name_en = models.CharField(_("name (English)"), max_length=150)
    name_fr = models.CharField(_("name (French)"), max_length=150)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)
    taxonomy_version = models.CharField(
        _("taxonomy version"),
        max_length=20,
        default="2026.1",
        help_text=_("Version of the taxonomy that introduced this item."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Retired items stay for old situations.")
    )

    class Meta:
        abstract = True
        ordering = ["ordering", "code"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en


class RiskCategory(TaxonomyItem):
    class Meta(TaxonomyItem.Meta):
        verbose_name = _("risk category")
        verbose_name_plural = _("risk categories")


class RiskFactor(TaxonomyItem):
    category = models.ForeignKey(
        RiskCategory, on_delete=models.PROTECT, related_name="factors", verbose_name=_("category")
    )

    class Meta(TaxonomyItem.Meta):
        ordering = ["category__ordering", "ordering", "code"]
        verbose_name = _("risk factor")
        verbose_name_plural = _("risk factors")


class StudyFlag(TaxonomyItem):
    """Issues of provincial interest that are not risk factors (e.g. opioids, firearms)."""

    class Meta(TaxonomyItem.Meta):
        verbose_name = _("study flag")
        verbose_name_plural = _("study flags")


class ProtectiveFactor(TaxonomyItem):
    class Meta(TaxonomyItem.Meta):
        verbose_name = _("protective factor")
        verbose_name_plural = _("protective factors")


# --- Choices ----------


class SubjectType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    FAMILY = "family", _("Family")
    GROUP = "group", _("Group")
    LOCATION = "location", _("Location")


class AgeGroup(models.TextChoices):
    AGE_0_5 = "0-5", _("0–5")
    AGE_6_11 = "6-11", _("6–11")
    AGE_12_15 = "12-15", _("12–15")
    AGE_16_17 = "16-17", _("16–17")
    AGE_18_24 = "18-24", _("18–24")
    AGE_25_29 = "25-29", _("25–29")
    AGE_30_39 = "30-39", _("30–39")
    AGE_40_59 = "40-59", _("40–59")
    AGE_60_PLUS = "60+", _("60+")
    UNKNOWN = "unknown", _("Unknown")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    GENDER_DIVERSE = "gender_diverse", _("Gender diverse")
    UNKNOWN = "unknown", _("Unknown / not applicable")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PRESENTED = "presented", _("Presented (F1 attested)")
    ACCEPTED = "accepted", _("Accepted as AER")
    INTERVENTION = "intervention", _("Intervention")
    CONCLUDED = "concluded", _("Concluded")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (Status.DRAFT, Status.PRESENTED, Status.ACCEPTED, Status.INTERVENTION)
ACTIVE_AER_STATUSES = (Status.ACCEPTED, Status.INTERVENTION)
CLOSED_STATUSES = (Status.CONCLUDED, Status.REJECTED, Status.WITHDRAWN)


class F2Disposition(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted — acutely elevated risk")
    REJECTED = "rejected", _("Rejected — not AER, stays with the originating agency")
    RETURNED = "returned", _("Returned to the originating agency for more information")


class ConclusionReason(models.TextChoices):
    RISK_LOWERED = "risk_lowered", _("Overall risk lowered")
    CONNECTED = "connected", _("Still AER — connected to services")
    INFORMED = "informed", _("Still AER — informed of services")
    REFUSED = "refused", _("Still AER — refused services")
    UNABLE_TO_LOCATE = "unable_to_locate", _("Still AER — unable to locate")
    STILL_AER_OTHER = "still_aer_other", _("Still AER — other")
    TRANSFERRED = "transferred", _("Transferred to another agency or process")


class TaskNotDone(models.TextChoices):
    """Why a task was closed without being done (recorded, so follow-through can be counted)."""

    COULD_NOT_REACH = "could_not_reach", _("Could not reach the person")
    REFUSED = "refused", _("Refused")
    CAPACITY = "capacity", _("No capacity")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    OTHER = "other", _("Other")


class OpenTasksOnConclusion(models.TextChoices):
    CLOSE = "close", _("Close them: no longer needed")
    KEEP = "keep", _("Keep them open with their agencies")


class AffectedRelationship(models.TextChoices):
    CHILD = "child", _("Child in the home")
    SIBLING = "sibling", _("Sibling")
    PARENT = "parent", _("Parent or caregiver")
    PARTNER = "partner", _("Partner")
    OTHER_RESIDENT = "other_resident", _("Other person in the home")
    OTHER = "other", _("Other")


# --- Situation ----------


class Situation(models.Model):
    table = models.ForeignKey(
        Table, on_delete=models.PROTECT, related_name="situations", verbose_name=_("table")
    )
    number = models.CharField(_("number"), max_length=24, editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    originating_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="originated_situations",
        verbose_name=_("originating agency"),
    )
    subject_type = models.CharField(
        _("subject type"),
        max_length=12,
        choices=SubjectType.choices,
        default=SubjectType.INDIVIDUAL,
    )
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices)
    narrative = models.TextField(
        _("de-identified narrative"),
        help_text=_(
            "What is happening and why the risk is elevated — no names, dates of birth, "
            "addresses, phone or health numbers."
        ),
    )
    risk_factors = models.ManyToManyField(
        RiskFactor, related_name="situations", verbose_name=_("risk factors")
    )
    study_flags = models.ManyToManyField(
        StudyFlag, blank=True, related_name="situations", verbose_name=_("study flags")
    )
    protective_factors = models.ManyToManyField(
        ProtectiveFactor,
        blank=True,
        related_name="situations",
        verbose_name=_("protective factors"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )

    # Filter 1
    f1_attested_at = models.DateTimeField(_("F1 attested"), null=True, blank=True)
    f1_attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Filter 2
    f2_disposition = models.CharField(
        _("F2 disposition"), max_length=10, choices=F2Disposition.choices, blank=True
    )
    f2_decided_at = models.DateTimeField(_("F2 decided"), null=True, blank=True)
    f2_reason = models.TextField(_("F2 reason"), blank=True)
    aer_significant_interest = models.BooleanField(
        _("significant interest at stake"), default=False
    )
    aer_probability_of_harm = models.BooleanField(_("probability of harm"), default=False)
    aer_severity_of_harm = models.BooleanField(_("severe intensity of harm"), default=False)
    aer_multi_sector = models.BooleanField(_("risk spans several sectors"), default=False)
    # Filter 3
    f3_at = models.DateTimeField(_("F3 recorded"), null=True, blank=True)
    f3_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="f3_situations", verbose_name=_("agencies named at F3")
    )
    # Filter 4
    lead_agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_situations",
        verbose_name=_("lead agency"),
    )
    assisting_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="assisted_situations", verbose_name=_("assisting agencies")
    )
    services_mobilized = models.ManyToManyField(
        Sector, blank=True, related_name="mobilized_in", verbose_name=_("services mobilized")
    )
    f4_planned_at = models.DateTimeField(_("F4 planned"), null=True, blank=True)
    first_intervention_at = models.DateTimeField(_("first intervention"), null=True, blank=True)
    # Conclusion
    concluded_at = models.DateTimeField(_("concluded"), null=True, blank=True)
    conclusion_reason = models.CharField(
        _("conclusion reason"), max_length=20, choices=ConclusionReason.choices, blank=True
    )
    conclusion_note = models.TextField(_("conclusion note"), blank=True)
    # A rejected situation keeps only limited data: its narrative and factors are purged with
    # the originating agency's retention period (DESIGN §2a).
    detail_purged_at = models.DateTimeField(_("detail purged"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("situation")
        verbose_name_plural = _("situations")
        # Granted per situation (django-guardian) to the members of agencies named at Filter 3.
        permissions = [("view_identifying_info", "Can view the identifying information")]
        constraints = [
            models.UniqueConstraint(fields=["table", "number"], name="situation_number_per_table"),
            models.UniqueConstraint(
                fields=["table", "year", "sequence"], name="situation_sequence_per_table_year"
            ),
        ]
        indexes = [
            models.Index(fields=["table", "status", "-created_at"]),
            models.Index(fields=["table", "originating_agency", "-created_at"]),
            # The situation lists (page and API), newest first, without sorting the history.
            models.Index(fields=["table", "-created_at", "-id"], name="situation_table_newest"),
            # Statistics and the RTD export: discussions in a period, in decision order.
            models.Index(fields=["table", "f2_decided_at", "id"], name="situation_table_f2"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_rejected(self) -> bool:
        return self.status == Status.REJECTED

    @property
    def filter_stage(self) -> int:
        """1–4, or 5 when concluded: which filter the situation is at."""
        return {
            Status.DRAFT: 1,
            Status.PRESENTED: 2,
            Status.ACCEPTED: 3,
            Status.INTERVENTION: 4,
            Status.CONCLUDED: 5,
        }.get(self.status, 0)


class AffectedPerson(models.Model):
    """A de-identified person affected by the situation, e.g. two children in the home (0–5)."""

    situation = models.ForeignKey(
        Situation, on_delete=models.CASCADE, related_name="affected_persons"
    )
    relationship = models.CharField(
        _("relationship"), max_length=16, choices=AffectedRelationship.choices
    )
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    count = models.PositiveSmallIntegerField(_("number of people"), default=1)

    class Meta:
        verbose_name = _("affected person")
        verbose_name_plural = _("affected persons")

    def __str__(self):
        return f"{self.count} × {self.get_relationship_display()} ({self.get_age_group_display()})"


class StatusChange(models.Model):
    """One row per transition, written in the same transaction as the change itself."""

    situation = models.ForeignKey(
        Situation, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    event = models.CharField(max_length=60)  # dotted code, e.g. "situation.f2.accepted"
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    meeting = models.ForeignKey(
        "Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    # The audit chain's row for the same change (``core.audit``): this timeline is a projection
    # of the chain, verified against it. Null only for rows written before the chain held them.
    audit_event_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.situation_id}: {self.from_status or '∅'} → {self.to_status}"


# --- Meetings ----------


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("Weekly meeting")
    EMERGENCY = "emergency", _("Emergency meeting")


class Meeting(models.Model):
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="meetings")
    scheduled_at = models.DateTimeField(_("date and time"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=MeetingKind.choices, default=MeetingKind.REGULAR
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Live meeting (DESIGN §2b): the item the chair or minute-taker is showing, and a counter that
    # every change of the meeting raises; followers' screens refetch their share when it moves.
    current_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["table", "scheduled_at"])]

    def __str__(self):
        return f"{self.table.code} {timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M}"


class AgendaSection(models.TextChoices):
    RETURNING = "returning", _("Returning — report back")
    NEW = "new", _("New presentation")


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="agenda_items")
    section = models.CharField(max_length=10, choices=AgendaSection.choices)
    position = models.PositiveSmallIntegerField(default=0)
    discussed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Tables take returning situations (report-back) first, then new presentations.
        ordering = ["-section", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "situation"], name="agenda_item_once"),
        ]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self):
        return f"{self.meeting} · {self.situation.number}"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "agency"], name="attendance_once"),
        ]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self):
        return f"{self.meeting} · {self.agency} ({'present' if self.present else 'absent'})"


class CheckIn(models.Model):
    """A member's "I am here for my agency", from the follow view; the chair's confirmation
    records the agency's attendance (``record_attendance``)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="check_ins")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="check_in_once"),
        ]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self):
        return f"{self.meeting_id} · {self.agency_id} · {self.user_id}"


class DecisionKind(models.TextChoices):
    F2_ACCEPTED = "f2_accepted", _("F2: accepted as AER")
    F2_REJECTED = "f2_rejected", _("F2: rejected")
    F2_RETURNED = "f2_returned", _("F2: returned for more information")
    F3_AGENCIES = "f3_agencies", _("F3: agencies named")
    F4_PLAN = "f4_plan", _("F4: intervention planned")
    REPORT_BACK = "report_back", _("Report back")
    CONCLUDED = "concluded", _("Concluded")


class Decision(models.Model):
    """What the table decided about a situation, usually at a meeting."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="decisions")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    # What the whole table may hear, as typed (a report back's de-identified summary, a
    # decision's reason, a conclusion note). Never prose the application composed.
    note = models.TextField(blank=True)
    # The decision as codes and labels that need no translation (agency short names, a
    # conclusion reason code): rendered in the reader's language by ``summary``.
    data = models.JSONField(default=dict, blank=True)
    # Filter 4 working detail (plan text, intervention notes): for the intervening agencies only.
    detail = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    # The audit event this decision projects (``cases.audit_checks`` compares them); empty for
    # decisions recorded before the minutes were tied to the chain.
    audit_event_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return f"{self.situation_id}: {self.kind}"

    @property
    def summary(self) -> str:
        """What the table may read about this decision, in the active language."""
        data = self.data or {}
        if self.kind == DecisionKind.F3_AGENCIES:
            text = ", ".join(data.get("agencies") or [])
        elif self.kind == DecisionKind.F4_PLAN and data.get("lead"):
            text = str(_("Lead: %(lead)s. Assisting: %(assisting)s.")) % {
                "lead": data["lead"],
                "assisting": ", ".join(data.get("assisting") or []) or "—",
            }
        elif self.kind == DecisionKind.CONCLUDED and data.get("reason") in ConclusionReason.values:
            text = f"{ConclusionReason(data['reason']).label}."
        else:
            text = ""
        return " ".join(part for part in (text, self.note) if part)


class Discussion(models.Model):
    """One Filter 2 discussion. The RTD counts discussions, not situations: a situation returned
    for more information and accepted later was discussed twice. The de-identified limited fields
    are copied as they stood at the discussion, so statistics keep them after a rejected
    situation's detail is purged."""

    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="discussions")
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="discussions")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="discussions"
    )
    disposition = models.CharField(max_length=10, choices=F2Disposition.choices)
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    originating_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices)
    gender = models.CharField(max_length=16, choices=Gender.choices)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("Filter 2 discussion")
        verbose_name_plural = _("Filter 2 discussions")
        indexes = [models.Index(fields=["table", "decided_at", "id"], name="discussion_table_at")]

    def __str__(self):
        return f"{self.situation_id}: {self.disposition}"

    @classmethod
    def of(cls, situation, *, disposition, decided_at, meeting=None, decided_by=None):
        """An (unsaved) discussion of ``situation``, its limited fields copied as they stand."""
        return cls(
            table_id=situation.table_id,
            situation=situation,
            meeting=meeting,
            disposition=disposition,
            decided_at=decided_at,
            decided_by=decided_by,
            originating_agency_id=situation.originating_agency_id,
            subject_type=situation.subject_type,
            age_group=situation.age_group,
            gender=situation.gender,
        )


class Task(models.Model):
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="tasks")
    owner_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("owner agency")
    )
    description = models.CharField(_("description"), max_length=300)
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the task was closed without being done (``done_at`` is then the closing time).
    not_done_reason = models.CharField(
        _("not done because"), max_length=20, blank=True, choices=TaskNotDone.choices
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["owner_agency", "done_at", "due_date"]),
            # The table's task list (API) in its order, without sorting every task ever set.
            models.Index(fields=["done_at", "due_date", "id"], name="task_list_order"),
        ]

    def __str__(self):
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.due_date < timezone.localdate()
