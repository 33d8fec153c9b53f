from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from cases.forms import CheckboxList

from .models import (
    ConsentGivenBy,
    ConsentKind,
    ConsentMethod,
    ConsentRecord,
    DisclosureBasis,
    IdentifierField,
)
from .services import NOT_NAMED_MESSAGE


class PersonForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    notes = forms.CharField(
        label=_("Notes"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Browsers must not remember or suggest identifying information.
            field.widget.attrs["autocomplete"] = "off"


class DisclosureForm(forms.Form):
    agencies = forms.ModelMultipleChoiceField(
        label=_("Disclose to"), queryset=Agency.objects.none(), widget=CheckboxList
    )
    fields = forms.MultipleChoiceField(
        label=_("Identifiers to share"), choices=(), widget=CheckboxList
    )
    basis = forms.ChoiceField(
        label=_("Basis"), choices=DisclosureBasis.choices, widget=forms.RadioSelect
    )
    consent = forms.ModelChoiceField(
        label=_("Consent on record"), queryset=ConsentRecord.objects.none(), required=False
    )
    justification = forms.CharField(
        label=_("Justification (required without consent)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("Why sharing without consent is needed to prevent imminent serious harm."),
    )

    def __init__(self, *args, situation, allowed_fields, **kwargs):
        super().__init__(*args, **kwargs)
        # Filter 3 is one act: identifying information goes only to agencies named there, and
        # never "back" to the originating agency, which already holds it.
        recipients = situation.f3_agencies.exclude(pk=situation.originating_agency_id)
        self.fields["agencies"].queryset = recipients.order_by("name")
        self.fields["agencies"].error_messages["invalid_choice"] = NOT_NAMED_MESSAGE
        self.fields["fields"].choices = [
            (value, label) for value, label in IdentifierField.choices if value in allowed_fields
        ]
        self.fields["consent"].queryset = ConsentRecord.objects.filter(
            situation=situation, kind=ConsentKind.DISCLOSURE, withdrawn_at__isnull=True
        )
        self.fields["consent"].label_from_instance = lambda c: (
            f"{c.get_method_display()} — {c.get_given_by_display()}, {c.given_on:%Y-%m-%d}"
        )
        if not self.is_bound:
            self.initial["fields"] = list(allowed_fields)
            self.initial["agencies"] = list(recipients.values_list("pk", flat=True))


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Consent to"), choices=ConsentKind.choices)
    given_by = forms.ChoiceField(label=_("Given by"), choices=ConsentGivenBy.choices)
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    given_on = forms.DateField(
        label=_("Date given"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=_("Expires"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    scope_agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies covered (none = all agencies at the table)"),
        queryset=Agency.objects.none(),
        widget=CheckboxList,
        required=False,
    )
    scope_fields = forms.MultipleChoiceField(
        label=_("Identifiers covered (none = all)"),
        choices=IdentifierField.choices,
        widget=CheckboxList,
        required=False,
    )

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_agencies"].queryset = table.agencies.order_by("name")


class WithdrawConsentForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RevokeDisclosureForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this disclosure revoked?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("De-identified: no names. Recorded with your name in the privacy review."),
    )
    back = forms.ChoiceField(
        choices=[("situation", "situation"), ("privacy", "privacy")],
        required=False,
        widget=forms.HiddenInput,
    )


class PolicyForm(forms.Form):
    shared_fields = forms.MultipleChoiceField(
        label=_("Identifiers this table shares at Filter 3"),
        choices=IdentifierField.choices,
        widget=CheckboxList,
    )
    retention_days = forms.IntegerField(
        label=_("Days to keep identifying information after conclusion"),
        min_value=0,
        max_value=365,
    )
