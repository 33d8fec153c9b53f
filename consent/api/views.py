"""Filter 3 under /api/v1/tables/{table_id}/situations/{situation_id}/: identifying information,
disclosures and consent. The rules (who may reveal, disclose, record consent) are the consent
services'; these views resolve access and the situation, parse, call, and present.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.api.common import TableScopedMixin
from agencies.permissions import Capability
from cases import selectors as case_selectors
from cases import visibility
from cases.models import Situation
from consent import selectors, services
from consent.models import ConsentRecord, Disclosure
from core.api.schema import int_or_404, responses

from . import serializers as s

C = Capability


class SituationScopedMixin(TableScopedMixin):
    # Also resolves situation_id through the cases selector: 404 unless the member sees it.

    def get_situation(self) -> Situation:
        if not hasattr(self, "_situation"):
            self._situation = case_selectors.get_situation(
                self.access, int_or_404(self.kwargs["situation_id"])
            )
        return self._situation

    def require_disclosure_metadata(self) -> Situation:
        """Disclosure and consent records are metadata the visibility policy gives to the
        originating agency, the chair and coordinator, the agencies named at Filter 3 and the
        privacy officer — not to every member of the table."""
        situation = self.get_situation()
        if not visibility.sight(self.access, situation).disclosure_meta:
            raise PermissionDenied(
                _("Disclosure records are for the agencies involved and the privacy officer.")
            )
        return situation


@method_decorator(never_cache, name="dispatch")
@extend_schema(tags=["identifying information"])
class IdentifyingInfoViewSet(SituationScopedMixin, viewsets.GenericViewSet):
    # Responses that carry identifying information are never cached (never_cache: no-store).

    default_capability = C.VIEW_SITUATIONS
    capabilities = {"record": C.CREATE_SITUATION}
    serializer_class = s.RevealSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Reveal the identifying information your agency may see (the access is logged)",
        description=(
            "For the originating agency, and for members of agencies given a Filter 3 "
            "disclosure while the situation is open: only the disclosed identifiers. Every "
            "successful call is recorded in the access log and the audit chain. A POST with no "
            "body: with a browser session it needs the CSRF token, like every change."
        ),
        request=None,
        responses=responses({200: s.RevealSerializer}),
    )
    def reveal(self, request, table_id=None, situation_id=None):
        people = services.reveal_identifying_info(
            actor=request.user, situation=self.get_situation()
        )
        data = {
            "people": [{"id": p.id, "fields": p.fields, "unreadable": p.unreadable} for p in people]
        }
        return Response(s.RevealSerializer(data).data)

    @extend_schema(
        summary="Record a person's identifying information (originating agency; encrypted)",
        request=s.PersonWriteSerializer,
        responses=responses({201: s.PersonRecordedSerializer}, 400, 409),
    )
    def record(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        form = s.PersonWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        person = services.record_identifying_info(
            actor=request.user, situation=situation, **form.validated_data
        )
        return Response({"id": person.pk}, status=201)


@extend_schema(tags=["identifying information"])
class DisclosureViewSet(SituationScopedMixin, viewsets.GenericViewSet):
    queryset = Disclosure.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.DisclosureSerializer
    default_capability = C.VIEW_SITUATIONS
    # The service decides: the chair, or the originating agency for its own client.
    filter_backends = []

    @extend_schema(summary="Filter 3 disclosures of this situation (who, what fields, basis)")
    def list(self, request, table_id=None, situation_id=None):
        page = self.paginate_queryset(selectors.disclosures(self.require_disclosure_metadata()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Filter 3: disclose identifying information to agencies named at Filter 3",
        request=s.DisclosureWriteSerializer,
        responses=responses({201: s.DisclosureSerializer}, 400, 409),
    )
    def create(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        form = s.DisclosureWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.fields["consent"].queryset = selectors.consents(situation)
        form.is_valid(raise_exception=True)
        disclosure = services.disclose_identifying_info(
            actor=request.user, situation=situation, **form.validated_data
        )
        return Response(self.get_serializer(disclosure).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["identifying information"])
class DisclosureRevokeViewSet(TableScopedMixin, viewsets.GenericViewSet):
    # POST /api/v1/tables/{table_id}/disclosures/{disclosure_id}/revoke/. The service decides who
    # may (the chair or the privacy officer); another table's disclosure is a 404.
    queryset = Disclosure.objects.none()  # for the schema
    serializer_class = s.DisclosureSerializer
    default_capability = C.VIEW_SITUATIONS
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Revoke a mistaken disclosure (chair or privacy officer); its access ends",
        request=s.RevokeDisclosureSerializer,
        responses=responses({200: s.DisclosureSerializer}, 400, 409),
    )
    def revoke(self, request, table_id=None, disclosure_id=None):
        disclosure = (
            Disclosure.objects.filter(
                pk=int_or_404(disclosure_id), situation__table_id=self.access.table.pk
            )
            .select_related("situation")
            .first()
        )
        if disclosure is None:
            raise Http404
        form = s.RevokeDisclosureSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        disclosure = services.revoke_disclosure(
            actor=request.user, disclosure=disclosure, reason=form.validated_data["reason"]
        )
        return Response(self.get_serializer(disclosure).data)


@extend_schema(tags=["identifying information"])
class ConsentViewSet(SituationScopedMixin, viewsets.GenericViewSet):
    queryset = ConsentRecord.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.ConsentSerializer
    lookup_url_kwarg = "consent_id"
    lookup_value_regex = "[^/]+"
    # The services decide: the originating agency or the chair records and withdraws consent.
    default_capability = C.VIEW_SITUATIONS
    filter_backends = []

    @extend_schema(summary="Consent records of this situation")
    def list(self, request, table_id=None, situation_id=None):
        page = self.paginate_queryset(selectors.consents(self.require_disclosure_metadata()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Record consent (originating agency or chair)",
        request=s.ConsentWriteSerializer,
        responses=responses({201: s.ConsentSerializer}, 400),
    )
    def create(self, request, table_id=None, situation_id=None):
        situation = self.get_situation()
        form = s.ConsentWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        consent = services.record_consent(
            actor=request.user, situation=situation, **form.validated_data
        )
        return Response(self.get_serializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record that consent was withdrawn (originating agency or chair)",
        request=s.WithdrawConsentSerializer,
        responses=responses({200: s.ConsentSerializer}, 400, 409),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, table_id=None, situation_id=None, consent_id=None):
        consent = selectors.consents(self.get_situation()).filter(pk=int_or_404(consent_id)).first()
        if consent is None:
            raise Http404
        form = s.WithdrawConsentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        consent = services.withdraw_consent(
            actor=request.user, consent=consent, **form.validated_data
        )
        return Response(self.get_serializer(consent).data)
