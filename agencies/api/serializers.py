from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency, Role, TokenScope
from agencies.permissions import Capability


class AgencySerializer(serializers.ModelSerializer):
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sector_name = serializers.CharField(source="sector.name", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "sector", "sector_name", "is_active"]
        read_only_fields = fields


class MembershipTableSerializer(serializers.Serializer):
    """One of the user's tables, seen through their seat at it (a ``TableAccess``)."""

    id = serializers.IntegerField(source="table.pk")
    name = serializers.CharField(source="table.name")
    code = serializers.CharField(source="table.code")
    description = serializers.CharField(source="table.description")
    role = serializers.ChoiceField(choices=Role.choices)
    agency = AgencySerializer()
    capabilities = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Capability)))
    def get_capabilities(self, access) -> list[str]:
        return sorted(str(c) for c in access.capabilities)


class TokenSerializer(serializers.Serializer):
    """An API token as listed: never the token itself, which is stored only as a digest."""

    token_key = serializers.CharField(help_text="The token's first characters, to recognise it.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    scope = serializers.ChoiceField(
        choices=TokenScope.choices, source="policy.scope", help_text="`read` or `write`."
    )
    last_used_at = serializers.DateTimeField(
        source="policy.last_used_at",
        help_text="Unused for API_TOKEN_IDLE_DAYS, the token stops working.",
    )


class MemberTokenSerializer(TokenSerializer):
    """A table member's token, as the coordinator reviews it."""

    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")


class NewTokenSerializer(TokenSerializer):
    scope = serializers.ChoiceField(choices=TokenScope.choices)
    last_used_at = serializers.DateTimeField()

    token = serializers.CharField(
        help_text="The token. Shown once: only a digest is kept. Send it as "
        "`Authorization: Token <token>`."
    )


class TokenCreateSerializer(serializers.Serializer):
    expiry_days = serializers.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        help_text="Days until the token expires (default: the site's API_TOKEN_TTL_DAYS).",
    )
    scope = serializers.ChoiceField(
        choices=TokenScope.choices,
        default=TokenScope.READ,
        help_text="`read` (the default: GET only) or `write` (every use that may change "
        "something is audited).",
    )
