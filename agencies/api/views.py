"""The user's tables, a table's agencies, and the user's own API tokens."""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from agencies.models import Agency
from agencies.permissions import Capability, TableAccess, active_memberships
from agencies.two_factor import two_factor_required
from core.api.schema import int_or_404, responses

from . import tokens
from .common import TableScopedMixin
from .serializers import (
    AgencySerializer,
    MembershipTableSerializer,
    MemberTokenSerializer,
    NewTokenSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="The tables you are an active member of", tags=["tables"]),
    retrieve=extend_schema(summary="One of your tables, with your role", tags=["tables"]),
)
class TableViewSet(viewsets.GenericViewSet):
    serializer_class = MembershipTableSerializer
    lookup_url_kwarg = "table_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return active_memberships(self.request.user).order_by("table__name")

    def list(self, request):
        seats = [TableAccess(table=m.table, membership=m) for m in self.get_queryset()]
        page = self.paginate_queryset(seats)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, table_id=None):
        membership = self.get_queryset().filter(table_id=int_or_404(table_id)).first()
        if membership is None:
            raise Http404
        access = TableAccess(table=membership.table, membership=membership)
        return Response(self.get_serializer(access).data)


@extend_schema_view(
    list=extend_schema(summary="The agencies that sit at this table", tags=["tables"]),
    retrieve=extend_schema(summary="One agency of this table", tags=["tables"]),
)
class AgencyViewSet(TableScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AgencySerializer
    default_capability = Capability.VIEW_TABLE
    queryset = Agency.objects.none()  # for the schema; requests use get_queryset
    lookup_url_kwarg = "agency_id"
    lookup_value_regex = "[^/]+"
    filter_backends = []

    def get_queryset(self):
        return self.access.table.agencies.select_related("sector").order_by("name")

    def get_object(self):
        agency = self.get_queryset().filter(pk=int_or_404(self.kwargs["agency_id"])).first()
        if agency is None:
            raise Http404
        return agency


HEX_KEY = re.compile(r"[0-9a-f]{1,25}")


@extend_schema_view(
    list=extend_schema(summary="Your active API tokens (never the tokens themselves)"),
    destroy=extend_schema(
        summary="Revoke one of your API tokens",
        responses=responses({204: None}),
    ),
)
@extend_schema(tags=["auth"])
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    lookup_field = "token_key"
    lookup_value_regex = "[^/]+"
    filter_backends = []

    def get_queryset(self):
        return tokens.active_tokens(self.request.user)

    @extend_schema(
        summary="Create an API token (from a signed-in browser session)",
        description=(
            "The token is in the response once; only its digest is stored. A token cannot be "
            "used to create another token, so a leaked token cannot entrench itself."
        ),
        request=TokenCreateSerializer,
        responses=responses({201: NewTokenSerializer}, 400),
    )
    def create(self, request):
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            raise PermissionDenied(_("Create API tokens from a signed-in browser session."))
        user = request.user
        verified = user.is_verified()
        if settings.OTP_ENFORCED and two_factor_required(user) and not verified:
            raise PermissionDenied(_("Enter your two-factor code before creating an API token."))
        form = TokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        instance, token = tokens.create_token(
            user=user,
            expiry_days=form.validated_data.get("expiry_days"),
            scope=form.validated_data["scope"],
            second_factor=verified,
        )
        data = NewTokenSerializer(
            {
                "token": token,
                "token_key": instance.token_key,
                "created": instance.created,
                "expiry": instance.expiry,
                "scope": instance.policy.scope,
                "last_used_at": instance.policy.last_used_at,
            }
        ).data
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, token_key=None):
        # Keys are hexadecimal; anything else (a NUL byte included) cannot match one.
        if not HEX_KEY.fullmatch(token_key or ""):
            raise Http404
        if not tokens.revoke_token(user=request.user, token_key=token_key):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="The active API tokens of this table's members (coordinator)"),
    destroy=extend_schema(
        summary="Revoke a member's API token (coordinator)",
        responses=responses({204: None}),
    ),
)
@extend_schema(tags=["auth"])
class MemberTokenViewSet(
    TableScopedMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = MemberTokenSerializer
    default_capability = Capability.MANAGE_MEMBERS
    lookup_field = "token_key"
    lookup_value_regex = "[^/]+"
    filter_backends = []

    def get_queryset(self):
        return tokens.tokens_of_table(self.access)

    def destroy(self, request, table_id=None, token_key=None):
        if not HEX_KEY.fullmatch(token_key or ""):
            raise Http404
        if not tokens.revoke_member_token(access=self.access, token_key=token_key):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
