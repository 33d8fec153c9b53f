"""Filter 3 over the API: identifying information, disclosures and consent.

Identifying values appear in exactly one response: ``GET …/identifying-info/`` for a member the
consent services allow, which logs the access. Nothing else here carries them: disclosures and
consent records describe who shared what with whom, by field name and agency, never by value, and
the written justification of a disclosure stays in the privacy officer's review.
"""

from rest_framework import serializers

from cases.api.serializers import ScopedSerializer, agency_ids, table_agencies
from consent.models import (
    ConsentGivenBy,
    ConsentKind,
    ConsentMethod,
    ConsentRecord,
    Disclosure,
    DisclosureBasis,
    IdentifierField,
    RevocationReason,
)


class PersonFieldsSerializer(serializers.Serializer):
    """The identifiers shown: only those the member's agency was given (absent otherwise)."""

    given_name = serializers.CharField(required=False)
    family_name = serializers.CharField(required=False)
    family_initial = serializers.CharField(required=False)
    date_of_birth = serializers.CharField(required=False)
    age = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    notes = serializers.CharField(required=False)


class RevealedPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fields = PersonFieldsSerializer()
    unreadable = serializers.BooleanField(
        help_text="True when the record cannot be decrypted with the current keys."
    )


class RevealSerializer(serializers.Serializer):
    people = RevealedPersonSerializer(many=True)


class PersonWriteSerializer(serializers.Serializer):
    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class PersonRecordedSerializer(serializers.Serializer):
    # Nothing about other situations: whether the person was presented here before is the
    # chair's to see at Filter 2, as a count.
    id = serializers.IntegerField()


class DisclosureSerializer(serializers.ModelSerializer):
    agencies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    fields = serializers.ListField(child=serializers.ChoiceField(choices=IdentifierField.choices))
    basis = serializers.ChoiceField(choices=DisclosureBasis.choices)
    revocation_reason = serializers.ChoiceField(
        choices=[("", "—"), *RevocationReason.choices], read_only=True
    )

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "agencies",
            "fields",
            "basis",
            "consent",
            "disclosed_at",
            "revoked_at",
            "revocation_reason",
        ]
        read_only_fields = fields


class DisclosureWriteSerializer(ScopedSerializer):
    agencies = agency_ids(allow_empty=False)
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=IdentifierField.choices),
        allow_empty=False,
        max_length=len(IdentifierField.choices),
    )
    basis = serializers.ChoiceField(choices=DisclosureBasis.choices)
    consent = serializers.PrimaryKeyRelatedField(
        queryset=ConsentRecord.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The consent to disclose on record (basis `consent`).",
    )
    justification = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why sharing without consent prevents imminent serious harm.",
    )
    scoped = {"agencies": table_agencies}


class RevokeDisclosureSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, help_text="Why the disclosure is revoked (de-identified)."
    )


class ConsentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    given_by = serializers.ChoiceField(choices=ConsentGivenBy.choices)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    scope_agencies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    scope_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=IdentifierField.choices)
    )

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "kind",
            "given_by",
            "method",
            "scope_agencies",
            "scope_fields",
            "given_on",
            "expires_on",
            "withdrawn_at",
            "recorded_at",
        ]
        read_only_fields = fields


class ConsentWriteSerializer(ScopedSerializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    given_by = serializers.ChoiceField(choices=ConsentGivenBy.choices)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    given_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    scope_agencies = agency_ids(required=False)
    scope_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=IdentifierField.choices),
        required=False,
        max_length=len(IdentifierField.choices),
    )
    scoped = {"scope_agencies": table_agencies}


class WithdrawConsentSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
