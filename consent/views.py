"""Identifying information on the situation page, Filter 3 disclosure, consent, privacy review."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agencies.permissions import Capability, table_view
from cases import selectors as case_selectors
from cases import visibility
from cases.models import ACTIVE_AER_STATUSES
from core import once
from core.exceptions import InvalidTransition
from core.forms import run_service

from . import audit_text, selectors, services
from .audit_checks import verify_chain
from .forms import (
    ConsentForm,
    DisclosureForm,
    PersonForm,
    PolicyForm,
    RevokeDisclosureForm,
    WithdrawConsentForm,
)
from .models import ConsentKind, ConsentRecord, Disclosure, DisclosurePolicy


def _panel_context(request, access, situation, view):
    allowed = selectors.disclosed_fields_for(access, situation)
    consents = list(selectors.consents(situation)) if view.disclosure_meta else []
    named = situation.f3_agencies.exclude(pk=situation.originating_agency_id).exists()
    may_disclose = access.can(Capability.DISCLOSE) or selectors.is_originator(access, situation)
    return {
        "access": access,
        "situation": situation,
        "sight": view,
        "can_reveal": allowed is not None,
        "is_originator": selectors.is_originator(access, situation),
        "people_count": selectors.people(situation).count(),
        "disclosures": list(selectors.disclosures(situation)) if view.disclosure_meta else [],
        "consents": consents,
        "withdrawn": [c for c in consents if c.withdrawn_at and c.kind == ConsentKind.DISCLOSURE],
        "can_disclose": may_disclose and named and situation.status in ACTIVE_AER_STATUSES,
        "can_record_consent": selectors.is_originator(access, situation)
        or access.can(Capability.RECORD_DECISIONS),
        "is_open": situation.is_open,
        "can_revoke": selectors.can_revoke_disclosures(access),
        # Filter 2, chair only: "presented at this table N times in the last 12 months".
        "repeat_count": selectors.repeat_count_for(access, situation),
        "request": request,
    }


def identifying_panel(request, access, situation):
    """The situation page's Filter 3 card (shown by ``cases.views.situation_detail``).

    Only for members the visibility policy lets see identifying information or disclosure
    metadata; the other agencies at the table get no card at all."""
    view = visibility.sight(access, situation)
    if not (view.identifying or view.disclosure_meta):
        # At Filter 2 the chair still sees the 12-month repeat count, and nothing else here.
        count = selectors.repeat_count_for(access, situation)
        if count is None:
            return ""
        return render_to_string(
            "consent/includes/repeat_marker.html", {"repeat_count": count}, request=request
        )
    return render_to_string(
        "consent/identifying_panel.html",
        _panel_context(request, access, situation, view),
        request=request,
    )


@table_view(Capability.CREATE_SITUATION)
def person_add(request, access, situation_id):
    situation = case_selectors.get_situation(access, situation_id)
    if not selectors.is_originator(access, situation):
        raise PermissionDenied
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = run_service(
            form,
            services.record_identifying_info,
            actor=request.user,
            situation=situation,
            **form.cleaned_data,
        )
        if result:
            once.recorded(request)
            messages.success(request, _("Identifying information saved, encrypted."))
            return redirect("situation-detail", access.table.pk, situation.pk)
    response = render(
        request,
        "consent/person_form.html",
        {"access": access, "situation": situation, "form": form},
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@table_view(Capability.VIEW_SITUATIONS)
def reveal(request, access, situation_id):
    situation = case_selectors.get_situation(access, situation_id)
    people = services.reveal_identifying_info(actor=request.user, situation=situation)
    context = {"access": access, "situation": situation, "people": people}
    template = "consent/partials/revealed.html" if request.htmx else "consent/revealed_page.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@table_view(Capability.VIEW_SITUATIONS)
def disclose(request, access, situation_id):
    situation = case_selectors.get_situation(access, situation_id)
    # The chair, or the originating agency for its own client (the service checks again).
    if not (access.can(Capability.DISCLOSE) or selectors.is_originator(access, situation)):
        raise PermissionDenied
    form = DisclosureForm(
        request.POST or None,
        situation=situation,
        allowed_fields=selectors.shared_fields(access.table),
    )
    if request.method == "POST" and form.is_valid():
        disclosure = run_service(
            form,
            services.disclose_identifying_info,
            actor=request.user,
            situation=situation,
            **form.cleaned_data,
        )
        if disclosure:
            once.recorded(request)
            messages.success(request, _("Filter 3 disclosure recorded."))
            return redirect("situation-detail", access.table.pk, situation.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "consent/disclose_form.html",
        {"access": access, "situation": situation, "form": form},
        status=status,
    )


@table_view(Capability.VIEW_SITUATIONS)
def consent_add(request, access, situation_id):
    situation = case_selectors.get_situation(access, situation_id)
    if not (selectors.is_originator(access, situation) or access.can(Capability.RECORD_DECISIONS)):
        raise PermissionDenied
    form = ConsentForm(request.POST or None, table=access.table)
    if request.method == "POST" and form.is_valid():
        consent = run_service(
            form,
            services.record_consent,
            actor=request.user,
            situation=situation,
            **form.cleaned_data,
        )
        if consent:
            once.recorded(request)
            messages.success(request, _("Consent recorded."))
            return redirect("situation-detail", access.table.pk, situation.pk)
    return render(
        request,
        "consent/consent_form.html",
        {"access": access, "situation": situation, "form": form},
    )


@require_POST
@table_view(Capability.VIEW_SITUATIONS)
def consent_withdraw(request, access, consent_id):
    consent = get_object_or_404(
        ConsentRecord.objects.select_related("situation"),
        pk=consent_id,
        situation__table=access.table,
    )
    form = WithdrawConsentForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.withdraw_consent(actor=request.user, consent=consent, note=note)
        messages.success(request, _("Consent withdrawn. No further disclosure may rely on it."))
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("situation-detail", access.table.pk, consent.situation_id)


@never_cache
@table_view(Capability.VIEW_SITUATIONS)
def disclosure_revoke(request, access, disclosure_id):
    """Confirm, then revoke a mistaken disclosure (the chair or the privacy officer)."""
    if not selectors.can_revoke_disclosures(access):
        raise PermissionDenied
    disclosure = get_object_or_404(
        Disclosure.objects.select_related("situation").prefetch_related("agencies"),
        pk=disclosure_id,
        situation__table=access.table,
    )
    form = RevokeDisclosureForm(request.POST or None, initial={"back": request.GET.get("back")})
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            services.revoke_disclosure,
            actor=request.user,
            disclosure=disclosure,
            reason=form.cleaned_data["reason"],
        )
        if done:
            messages.success(request, _("Disclosure revoked: that access has ended."))
            if form.cleaned_data.get("back") == "privacy":
                return redirect("privacy-review", access.table.pk)
            return redirect("situation-detail", access.table.pk, disclosure.situation_id)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "consent/revoke_disclosure.html",
        {"access": access, "disclosure": disclosure, "form": form},
        status=status,
    )


PRIVACY_TABS = ("disclosures", "access", "consents", "retention", "repeat", "audit")


@table_view(Capability.VIEW_AUDIT)
def privacy_review(request, access):
    tab = request.GET.get("tab", "disclosures")
    if tab not in PRIVACY_TABS:
        tab = "disclosures"
    context = {
        "access": access,
        "tab": tab,
        "tabs": PRIVACY_TABS,
        "can_revoke": selectors.can_revoke_disclosures(access),
    }
    if tab == "disclosures":
        rows = selectors.table_disclosures(access)
    elif tab == "access":
        rows = selectors.table_access_events(access)
    elif tab == "consents":
        rows = selectors.table_consents(access)
    elif tab == "repeat":
        rows = selectors.table_repeat_marker_flags(access)
        context["repeat_limit"] = settings.REPEAT_MARKER_DAILY_LIMIT
    elif tab == "audit":
        rows = selectors.table_audit_events(access)
        if request.GET.get("verify") == "1":
            context["chain"] = verify_chain()
            if context["chain"].checkpoint:
                at = context["chain"].checkpoint["at"]
                context["checkpoint_at"] = datetime.datetime.fromisoformat(at)
    else:
        due = services.purge_candidates()
        rows = case_selectors.situations_visible_to(access).filter(pk__in=due)
        context["policy"] = DisclosurePolicy.objects.filter(table=access.table).first()
    context["page"] = Paginator(rows, 50).get_page(request.GET.get("page"))
    if tab == "audit":
        context["described"] = audit_text.describe(context["page"], access)
    return render(request, "consent/privacy_review.html", context)


@table_view(Capability.MANAGE_MEMBERS)
def policy_edit(request, access):
    policy = DisclosurePolicy.objects.filter(table=access.table).first()
    initial = {
        "shared_fields": selectors.shared_fields(access.table),
        "retention_days": policy.retention_days if policy else 30,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.set_disclosure_policy(actor=request.user, table=access.table, **form.cleaned_data)
        messages.success(request, _("Filter 3 policy saved."))
        return redirect("table-overview", access.table.pk)
    return render(request, "consent/policy_form.html", {"access": access, "form": form})
