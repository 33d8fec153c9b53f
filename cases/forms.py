"""Forms parse input; the rules live in ``cases.services``. ``core.forms.run_service`` maps a
service's domain errors back onto the form so the user sees them next to what they typed."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Sector

from .models import (
    AffectedRelationship,
    AgeGroup,
    ConclusionReason,
    F2Disposition,
    Gender,
    Meeting,
    OpenTasksOnConclusion,
    ProtectiveFactor,
    RiskFactor,
    StudyFlag,
    SubjectType,
)
from .pii import validate_deidentified
from .services import AER_ELEMENTS


class CheckboxList(forms.CheckboxSelectMultiple):
    template_name = "cases/widgets/checkbox_list.html"


class SituationForm(forms.Form):
    subject_type = forms.ChoiceField(label=_("Subject"), choices=SubjectType.choices)
    age_group = forms.ChoiceField(label=_("Age group"), choices=[("", "—"), *AgeGroup.choices])
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "—"), *Gender.choices])
    narrative = forms.CharField(
        label=_("De-identified narrative"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        validators=[validate_deidentified],
        help_text=_(
            "What is happening and why the risk is acutely elevated. No names, dates of birth, "
            "addresses, phone or health numbers."
        ),
    )
    risk_factors = forms.ModelMultipleChoiceField(
        label=_("Risk factors"),
        queryset=RiskFactor.objects.filter(is_active=True).select_related("category"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one risk factor.")},
    )
    study_flags = forms.ModelMultipleChoiceField(
        label=_("Study flags"),
        queryset=StudyFlag.objects.filter(is_active=True),
        widget=CheckboxList,
        required=False,
    )
    protective_factors = forms.ModelMultipleChoiceField(
        label=_("Protective factors"),
        queryset=ProtectiveFactor.objects.filter(is_active=True),
        widget=CheckboxList,
        required=False,
    )


class AffectedPersonForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Affected person"),
        choices=[("", "—"), *AffectedRelationship.choices],
        required=False,
    )
    age_group = forms.ChoiceField(
        label=_("Their ages"), choices=[("", "—"), *AgeGroup.choices], required=False
    )
    count = forms.IntegerField(
        label=_("How many people"), min_value=1, max_value=20, required=False
    )

    def clean(self):
        data = super().clean()
        filled = [bool(data.get(k)) for k in ("relationship", "age_group", "count")]
        if any(filled) and not all(filled):
            raise ValidationError(_("Give the relationship, age group and number, or leave blank."))
        return data


AffectedPersonFormSet = forms.formset_factory(
    AffectedPersonForm, extra=2, max_num=10, validate_max=True
)


def affected_persons_from(formset) -> list[dict]:
    return [
        {"relationship": f["relationship"], "age_group": f["age_group"], "count": f["count"]}
        for f in (form.cleaned_data for form in formset.forms)
        if f and f.get("relationship")
    ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


# --- Meeting mode ----------


class TableAgencyMixin:
    """Limits agency choices to the table's member agencies."""

    agency_fields: tuple[str, ...] = ()

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = table.agencies.select_related("sector").order_by("name")
        for name in self.agency_fields:
            self.fields[name].queryset = agencies


class Filter2Form(forms.Form):
    disposition = forms.ChoiceField(
        label=_("Decision"), choices=F2Disposition.choices, widget=forms.RadioSelect
    )
    aer_significant_interest = forms.BooleanField(
        label=_("A significant interest is at stake"), required=False
    )
    aer_probability_of_harm = forms.BooleanField(
        label=_("There is a probability of harm"), required=False
    )
    aer_severity_of_harm = forms.BooleanField(label=_("The harm would be severe"), required=False)
    aer_multi_sector = forms.BooleanField(label=_("The risk spans several sectors"), required=False)
    reason = forms.CharField(
        label=_("Reason / note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=1000,
        validators=[validate_deidentified],
        help_text=_("Required when rejecting or returning the situation."),
    )

    def aer_elements(self) -> dict[str, bool]:
        return {name: self.cleaned_data.get(name, False) for name in AER_ELEMENTS}


class Filter3Form(TableAgencyMixin, forms.Form):
    agency_fields = ("agencies",)
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies that may be involved"),
        queryset=Agency.objects.none(),
        widget=CheckboxList,
        error_messages={"required": _("Name at least one agency for Filter 3.")},
    )


class PlanForm(TableAgencyMixin, forms.Form):
    agency_fields = ("lead_agency", "assisting_agencies")
    lead_agency = forms.ModelChoiceField(label=_("Lead agency"), queryset=Agency.objects.none())
    assisting_agencies = forms.ModelMultipleChoiceField(
        label=_("Assisting agencies"),
        queryset=Agency.objects.none(),
        widget=CheckboxList,
        required=False,
    )
    services_mobilized = forms.ModelMultipleChoiceField(
        label=_("Services mobilized"),
        queryset=Sector.objects.all(),
        widget=CheckboxList,
        required=False,
    )
    note = forms.CharField(
        label=_("Plan (intervening agencies only)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=1000,
        help_text=_(
            "E.g. door knock by police and mental health within 48 hours. Seen only by the lead "
            "and assisting agencies, the originating agency, the chair and the coordinator."
        ),
    )


class TaskForm(TableAgencyMixin, forms.Form):
    agency_fields = ("owner_agency",)
    owner_agency = forms.ModelChoiceField(label=_("Owner agency"), queryset=Agency.objects.none())
    description = forms.CharField(label=_("Task"), max_length=300)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "due_date", (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
            )


class ReportBackForm(forms.Form):
    note = forms.CharField(
        label=_("Report back to the table"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "De-identified summary every agency at the table hears: what was done, whether the "
            "risk is lower, what is next."
        ),
    )
    detail = forms.CharField(
        label=_("Intervention notes (intervening agencies only)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=_("Working detail of Filter 4, seen only by the lead and assisting agencies."),
    )
    first_intervention_at = forms.DateTimeField(
        label=_("First intervention (door knock) took place"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class ConcludeForm(forms.Form):
    # No default: the outcome is chosen, never assumed (issue 16).
    reason = forms.ChoiceField(
        label=_("Conclusion"), choices=[("", "—"), *ConclusionReason.choices]
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )
    open_tasks = forms.ChoiceField(
        label=_("Open tasks"),
        choices=[("", "—"), *OpenTasksOnConclusion.choices],
        required=False,
        help_text=_("Needed when tasks of this situation are still open."),
    )
    confirm = forms.BooleanField(
        label=_("I confirm the table concludes this situation"),
        error_messages={"required": _("Tick to confirm the conclusion.")},
    )


class MeetingForm(forms.ModelForm):
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Meeting
        fields = ["scheduled_at", "kind", "location", "video_link", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
