"""Browser UI for situations, meetings (meeting mode) and tasks.

Views parse input, call one service or selector, render. Access: ``table_view`` gives 404 to
non-members and 403 to members without the capability; services check again.
"""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.permissions import Capability, table_view
from core import once
from core.forms import run_service
from core.http import safe_next_url

from . import selectors, services, visibility
from .forms import (
    AffectedPersonFormSet,
    ConcludeForm,
    Filter2Form,
    Filter3Form,
    MeetingForm,
    PlanForm,
    ReasonForm,
    ReportBackForm,
    SituationForm,
    TaskForm,
    affected_persons_from,
)
from .models import AgendaSection, DecisionKind, ProtectiveFactor, Status, StudyFlag

# --- Table overview ----------


@table_view(Capability.VIEW_TABLE)
def table_overview(request, access):
    situations = selectors.situations_visible_to(access)
    counts = dict(situations.values_list("status").annotate(n=Count("id")).order_by())
    context = {
        "access": access,
        "next_meeting": selectors.next_meeting(access),
        "counts": {s: counts.get(s, 0) for s in Status.values},
        "my_situations": selectors.with_sight(
            access, selectors.situation_list(access, status="open", mine=True)[:8]
        ),
        "my_tasks": selectors.agency_tasks(access)[:8],
    }
    return render(request, "cases/table_overview.html", context)


@table_view(Capability.VIEW_SITUATIONS)
def taxonomy(request, access):
    """The risk taxonomy with its stable export codes and versions."""
    return render(
        request,
        "cases/taxonomy.html",
        {
            "access": access,
            "taxonomy": selectors.risk_taxonomy(),
            "study_flags": StudyFlag.objects.filter(is_active=True),
            "protective_factors": ProtectiveFactor.objects.filter(is_active=True),
        },
    )


# --- Situations ----------


@table_view(Capability.VIEW_SITUATIONS)
def situation_list(request, access):
    status = request.GET.get("status", "")
    if status not in ("", "open", *Status.values):
        status = ""
    mine = request.GET.get("mine") == "1"
    q = request.GET.get("q", "")[:40]
    situations = selectors.with_sight(
        access, selectors.situation_list(access, status=status, mine=mine, q=q)[:200]
    )
    context = {
        "access": access,
        "situations": situations,
        "status": status,
        "mine": mine,
        "q": q,
        "statuses": Status.choices,
    }
    return render(request, "cases/situation_list.html", context)


def _situation_form_context(access, form, formset, situation=None):
    return {
        "access": access,
        "form": form,
        "formset": formset,
        "situation": situation,
        "taxonomy": selectors.risk_taxonomy(),
        "selected_factors": {str(v) for v in (form["risk_factors"].value() or [])},
    }


@table_view(Capability.CREATE_SITUATION)
def situation_create(request, access):
    form = SituationForm(request.POST or None)
    formset = AffectedPersonFormSet(request.POST or None, prefix="affected")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        situation = run_service(
            form,
            services.create_situation,
            actor=request.user,
            table=access.table,
            affected_persons=affected_persons_from(formset),
            **form.cleaned_data,
        )
        if situation:
            once.recorded(request)
            messages.success(
                request,
                _(
                    "Situation %(number)s saved as a draft. Attest Filter 1 when your agency has "
                    "exhausted its own means."
                )
                % {"number": situation.number},
            )
            return redirect("situation-detail", access.table.pk, situation.pk)
    return render(
        request, "cases/situation_form.html", _situation_form_context(access, form, formset)
    )


@table_view(Capability.VIEW_SITUATIONS)
def situation_edit(request, access, situation_id):
    situation = selectors.get_situation(access, situation_id)
    if not visibility.is_originating_agency(access, situation):
        raise PermissionDenied
    if not selectors.may_edit(access, situation):
        messages.error(
            request,
            _("A situation that is %(status)s can no longer be edited.")
            % {"status": situation.get_status_display()},
        )
        return redirect("situation-detail", access.table.pk, situation.pk)
    initial = {
        "subject_type": situation.subject_type,
        "age_group": situation.age_group,
        "gender": situation.gender,
        "narrative": situation.narrative,
        "risk_factors": list(situation.risk_factors.values_list("pk", flat=True)),
        "study_flags": list(situation.study_flags.values_list("pk", flat=True)),
        "protective_factors": list(situation.protective_factors.values_list("pk", flat=True)),
    }
    affected = list(situation.affected_persons.values("relationship", "age_group", "count"))
    form = SituationForm(request.POST or None, initial=initial)
    formset = AffectedPersonFormSet(request.POST or None, prefix="affected", initial=affected)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        updated = run_service(
            form,
            services.update_situation,
            actor=request.user,
            situation=situation,
            affected_persons=affected_persons_from(formset),
            **form.cleaned_data,
        )
        if updated:
            messages.success(request, _("Situation %(number)s updated.") % {"number": updated})
            return redirect("situation-detail", access.table.pk, situation.pk)
    return render(
        request,
        "cases/situation_form.html",
        _situation_form_context(access, form, formset, situation),
    )


@table_view(Capability.VIEW_SITUATIONS)
def situation_detail(request, access, situation_id):
    from consent.views import identifying_panel  # the Filter 3 link (see pyproject)

    situation = selectors.situation_detail(access, situation_id)
    view = visibility.sight(access, situation)
    context = {
        "access": access,
        "situation": situation,
        "sight": view,
        "decisions": visibility.visible_decisions(view, situation.decisions.all()),
        "may_edit": selectors.may_edit(access, situation),
        "is_originator": view.is_originating,
        "withdraw_form": ReasonForm(),
        # Filter 3's panel (identifying information, consent) comes from the consent app.
        "detail_extras": [identifying_panel(request, access, situation)],
    }
    return render(request, "cases/situation_detail.html", context)


@require_POST
@table_view(Capability.CREATE_SITUATION)
def situation_attest(request, access, situation_id):
    situation = selectors.get_situation(access, situation_id)
    try:
        services.attest_filter1(actor=request.user, situation=situation)
        messages.success(
            request,
            _("Filter 1 attested: %(number)s can go on the next agenda.")
            % {"number": situation.number},
        )
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("situation-detail", access.table.pk, situation.pk)


@require_POST
@table_view(Capability.VIEW_SITUATIONS)
def situation_withdraw(request, access, situation_id):
    situation = selectors.get_situation(access, situation_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for withdrawing."))
    else:
        try:
            services.withdraw_situation(
                actor=request.user, situation=situation, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Situation withdrawn."))
        except services.InvalidTransition as exc:
            messages.error(request, exc.message)
    return redirect("situation-detail", access.table.pk, situation.pk)


# --- Tasks ----------


@table_view(Capability.VIEW_SITUATIONS)
def task_list(request, access):
    show_done = request.GET.get("done") == "1"
    tasks = selectors.agency_tasks(access, include_done=show_done)[:300]
    return render(
        request,
        "cases/task_list.html",
        {"access": access, "tasks": tasks, "show_done": show_done},
    )


@require_POST
@table_view(Capability.VIEW_SITUATIONS)
def task_complete(request, access, task_id):
    task = selectors.get_task(access, task_id)
    try:
        task = services.complete_task(actor=request.user, task=task)
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    if request.htmx:
        return render(request, "cases/partials/task_row.html", {"access": access, "task": task})
    default = reverse("task-list", args=[access.table.pk])
    return redirect(safe_next_url(request, default, prefix=f"/tables/{access.table.pk}/"))


# --- Meetings ----------


@table_view(Capability.VIEW_SITUATIONS)
def meeting_list(request, access):
    meetings = selectors.meeting_list(access).order_by("-scheduled_at")[:100]
    return render(request, "cases/meeting_list.html", {"access": access, "meetings": meetings})


@table_view(Capability.MANAGE_MEETINGS)
def meeting_create(request, access):
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scheduled = run_service(
            form,
            services.schedule_meeting,
            actor=request.user,
            table=access.table,
            **form.cleaned_data,
        )
        if scheduled:
            once.recorded(request)
            meeting, added = scheduled
            messages.success(
                request, _("Meeting created with %(n)s situations on the agenda.") % {"n": added}
            )
            return redirect("meeting-detail", access.table.pk, meeting.pk)
    return render(request, "cases/meeting_form.html", {"access": access, "form": form})


@table_view(Capability.MANAGE_MEETINGS)
def meeting_edit(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    form = MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        updated = run_service(
            form,
            services.update_meeting,
            actor=request.user,
            meeting=meeting,
            **form.cleaned_data,
        )
        if updated:
            messages.success(request, _("Meeting updated."))
            return redirect("meeting-detail", access.table.pk, meeting.pk)
    return render(
        request, "cases/meeting_form.html", {"access": access, "form": form, "meeting": meeting}
    )


@table_view(Capability.VIEW_SITUATIONS)
def meeting_detail(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    context = {
        "access": access,
        "meeting": meeting,
        "agenda": selectors.agenda(access, meeting),
        "attendance": selectors.attendance_for(meeting),
        "candidates": (
            selectors.agenda_candidates(access, meeting)
            if access.can(Capability.MANAGE_MEETINGS)
            else []
        ),
    }
    return render(request, "cases/meeting_detail.html", context)


@require_POST
@table_view(Capability.MANAGE_MEETINGS)
def meeting_agenda_change(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    action = request.POST.get("action")
    try:
        if action == "fill":
            added = services.fill_agenda(actor=request.user, meeting=meeting)
            messages.success(request, _("%(n)s situations added.") % {"n": added})
        elif action in ("add", "remove"):
            situation = selectors.get_situation(access, request.POST.get("situation"))
            if action == "add":
                services.add_to_agenda(actor=request.user, meeting=meeting, situation=situation)
            else:
                item = meeting.agenda_items.filter(situation=situation).first()
                if item:
                    services.remove_from_agenda(actor=request.user, item=item)
        elif action in ("start", "close"):
            service = services.start_meeting if action == "start" else services.close_meeting
            service(actor=request.user, meeting=meeting)
            if action == "start":
                return redirect("meeting-mode", access.table.pk, meeting.pk)
        else:
            messages.error(request, _("Unknown action."))
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("meeting-detail", access.table.pk, meeting.pk)


@require_POST
@table_view(Capability.MANAGE_MEETINGS)
def meeting_attendance(request, access, meeting_id, agency_id):
    meeting = selectors.get_meeting(access, meeting_id)
    agency = access.table.agencies.filter(pk=agency_id).first()
    if agency is None:
        messages.error(request, _("This agency does not sit at this table."))
        return redirect("meeting-detail", access.table.pk, meeting.pk)
    present = request.POST.get("present") == "1"
    record = services.record_attendance(
        actor=request.user, meeting=meeting, agency=agency, present=present
    )
    if request.htmx:
        return render(
            request,
            "cases/partials/attendance_row.html",
            {"access": access, "meeting": meeting, "agency": agency, "record": record},
        )
    default = reverse("meeting-detail", args=[access.table.pk, meeting.pk])
    return redirect(safe_next_url(request, default, prefix=f"/tables/{access.table.pk}/"))


# --- Meeting mode ----------

MEETING_ACTIONS = {
    "f2": (Filter2Form, Capability.RECORD_DECISIONS),
    "f3": (Filter3Form, Capability.DISCLOSE),
    "plan": (PlanForm, Capability.RECORD_DECISIONS),
    "task": (TaskForm, Capability.RECORD_DECISIONS),
    "report": (ReportBackForm, Capability.RECORD_DECISIONS),
    "conclude": (ConcludeForm, Capability.RECORD_DECISIONS),
}


def _action_form(name, table, data=None):
    form_class, _cap = MEETING_ACTIONS[name]
    kwargs = {"table": table} if hasattr(form_class, "agency_fields") else {}
    return form_class(data, prefix=name, **kwargs)


def _forms_for(situation, table, bound=None):
    """The decision forms meeting mode offers for a situation in its current state."""
    names = {
        Status.PRESENTED: ["f2"],
        Status.ACCEPTED: ["f3"],
        Status.INTERVENTION: ["plan", "task", "report", "conclude"],
    }.get(situation.status, [])
    forms = {name: _action_form(name, table) for name in names}
    if bound is not None:
        forms[bound.prefix] = bound
    if "plan" in forms and not forms["plan"].is_bound:
        forms["plan"].initial = _plan_initial(situation)
    return forms


def _plan_initial(situation) -> dict:
    """The plan as saved (so saving again never wipes it), or, before the first plan, the
    agencies named at Filter 3: Filter 4 starts from them."""
    if situation.lead_agency_id:
        plans = [d for d in situation.decisions.all() if d.kind == DecisionKind.F4_PLAN]
        return {
            "lead_agency": situation.lead_agency_id,
            "assisting_agencies": [a.pk for a in situation.assisting_agencies.all()],
            "services_mobilized": [s.pk for s in situation.services_mobilized.all()],
            "note": plans[-1].detail if plans else "",
        }
    named = [a.pk for a in situation.f3_agencies.all()]
    return {"lead_agency": named[0] if len(named) == 1 else None, "assisting_agencies": named}


def _open_form(situation, forms) -> str:
    """One action form open at a time: the next step for this situation."""
    if not forms:
        return ""
    if "plan" in forms:
        if not situation.lead_agency_id:
            return "plan"
        kinds = {d.kind for d in situation.decisions.all()}
        return "conclude" if DecisionKind.REPORT_BACK in kinds else "report"
    return next(iter(forms))


def _following(meeting, items, item_id):
    """The item to show when the requested one is not visible (any more): a situation returned
    to its agency at Filter 2 goes back inside the agency, so meeting mode moves on to the next
    item the member may see, in agenda order."""
    if not items:
        return None
    wanted = meeting.agenda_items.filter(pk=item_id).first() if str(item_id).isdigit() else None
    if wanted is None:
        return items[0]
    order = {AgendaSection.RETURNING: 0, AgendaSection.NEW: 1}
    key = (order[wanted.section], wanted.position, wanted.pk)
    later = [i for i in items if (order[i.section], i.position, i.pk) > key]
    return later[0] if later else items[-1]


def _repeat_count(access, item):
    from consent.selectors import repeat_count_for

    return repeat_count_for(access, item.situation) if item is not None else None


def _meeting_mode_context(access, meeting, item_id=None, bound=None):
    items = selectors.agenda(access, meeting)
    # Without a choice, meeting mode opens where the meeting is: the item shown to followers.
    item_id = item_id or meeting.current_item_id
    current = next((i for i in items if str(i.pk) == str(item_id)), None) or (
        _following(meeting, items, item_id)
    )
    index = items.index(current) if current else -1
    return {
        "access": access,
        "meeting": meeting,
        "items": items,
        "returning": [i for i in items if i.section == AgendaSection.RETURNING],
        "new": [i for i in items if i.section == AgendaSection.NEW],
        "current": current,
        "position": index + 1,
        "next_item": items[index + 1] if current and index + 1 < len(items) else None,
        "previous_item": items[index - 1] if current and index > 0 else None,
        # Filter 2, chair only: "presented at this table N times in the last 12 months" (the
        # repeat markers are the consent app's: Filter 2 and 3 meet here).
        "repeat_count": _repeat_count(access, current),
        "current_decisions": (
            visibility.visible_decisions(current.sight, current.situation.decisions.all())
            if current
            else []
        ),
        "forms": (forms := _forms_for(current.situation, access.table, bound) if current else {}),
        "open_form": _open_form(current.situation, forms) if current else "",
        "attendance": selectors.attendance_for(meeting),
    }


@table_view(Capability.VIEW_SITUATIONS)
def meeting_mode(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    context = _meeting_mode_context(access, meeting, request.GET.get("item"))
    template = (
        "cases/partials/meeting_item.html"
        if request.htmx and not request.htmx.boosted
        else "cases/meeting_mode.html"
    )
    return render(request, template, context)


@table_view(Capability.VIEW_SITUATIONS)
def meeting_action(request, access, meeting_id, item_id, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in MEETING_ACTIONS:
        raise Http404
    access.require(MEETING_ACTIONS[action][1])
    meeting = selectors.get_meeting(access, meeting_id)
    item = meeting.agenda_items.filter(pk=item_id).first()
    if item is None:
        raise Http404
    situation = selectors.get_situation(access, item.situation_id)
    form = _action_form(action, access.table, request.POST)
    ok = form.is_valid() and _perform(action, form, request.user, situation, meeting)
    if ok:
        once.recorded(request)
        messages.success(request, _("Recorded for %(number)s.") % {"number": situation.number})
        if not request.htmx:
            return redirect(
                f"{reverse('meeting-mode', args=[access.table.pk, meeting.pk])}?item={item.pk}"
            )
    context = _meeting_mode_context(access, meeting, item.pk, bound=None if ok else form)
    template = "cases/partials/meeting_item.html" if request.htmx else "cases/meeting_mode.html"
    return render(request, template, context, status=200 if ok or request.htmx else 400)


def _perform(action, form, actor, situation, meeting) -> bool:
    data = form.cleaned_data
    common = {"actor": actor, "situation": situation, "meeting": meeting}
    if action == "f2":
        call = {
            "service": services.record_filter2_decision,
            "disposition": data["disposition"],
            "reason": data["reason"],
            "aer_elements": form.aer_elements(),
        }
    elif action == "f3":
        call = {"service": services.record_filter3, "agencies": data["agencies"]}
    elif action == "plan":
        call = {"service": services.plan_intervention, **data}
    elif action == "task":
        call = {"service": services.add_task, **data}
    elif action == "report":
        call = {"service": services.record_report_back, **data}
    else:
        conclusion = {k: value for k, value in data.items() if k != "confirm"}
        call = {"service": services.conclude_situation, **conclusion}
    service = call.pop("service")
    return run_service(form, service, **common, **call) is not None


# --- The live meeting: pointer, follow mode, check-in, lifecycle -------------------------------


@require_POST
@table_view(Capability.MANAGE_MEETINGS)
def meeting_set_current(request, access, meeting_id):
    """The chair or the minute-taker shows an item to every follower (meeting mode's
    navigation, for them, moves the pointer). Answers meeting mode's item panel."""
    meeting = selectors.get_meeting(access, meeting_id)
    item = meeting.agenda_items.filter(pk=_int_or_none(request.POST.get("item"))).first()
    if item is None:
        raise Http404
    try:
        meeting = services.set_current_item(actor=request.user, meeting=meeting, item=item)
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    url = f"{reverse('meeting-mode', args=[access.table.pk, meeting.pk])}?item={item.pk}"
    if not request.htmx:
        return redirect(url)
    response = render(
        request, "cases/partials/meeting_item.html", _meeting_mode_context(access, meeting, item.pk)
    )
    response["HX-Push-Url"] = url
    return response


def _int_or_none(value):
    return int(value) if str(value or "").isdigit() and len(str(value)) < 19 else None


def _follow_context(access, meeting):
    current = None
    if meeting.current_item_id:
        found = selectors.agenda(access, meeting, only=meeting.current_item_id)
        current = found[0] if found else None
    return {
        "access": access,
        "meeting": meeting,
        "current": current,
        # The pointer is on an item this member may not know of (e.g. returned to its agency).
        "hidden_item": bool(meeting.current_item_id and current is None),
        "current_decisions": (
            visibility.visible_decisions(current.sight, current.situation.decisions.all())
            if current
            else []
        ),
        "checked_in": meeting.check_ins.filter(user=access.user).exists(),
        "agency_present": meeting.attendance.filter(agency=access.agency, present=True).exists(),
    }


@table_view(Capability.VIEW_SITUATIONS)
def meeting_follow(request, access, meeting_id):
    """Follow this meeting: the current item, as this member may see it, without reloading."""
    meeting = selectors.get_meeting(access, meeting_id)
    return render(request, "cases/meeting_follow.html", _follow_context(access, meeting))


@table_view(Capability.VIEW_SITUATIONS)
def meeting_follow_item(request, access, meeting_id):
    """The follower's fragment. Every follower of one audience (agency and role: what the
    visibility policy decides with) sees the same fragment at a given meeting version, so it is
    rendered once per audience and version and shared (30 followers of 9 agencies: 9 renders
    per push, not 30). The access check above runs for every request."""
    meeting = selectors.get_meeting(access, meeting_id)
    audience = f"{access.agency.pk}:{access.role}:{translation.get_language()}"
    key = f"follow:{meeting.pk}:{meeting.version}:{audience}"
    body = _cache_call(cache.get, key)
    if body is None:
        body = render_to_string(
            "cases/partials/follow_item.html", _follow_context(access, meeting), request=request
        )
        # No CSRF token or user-specific value is in the fragment, so it can be shared.
        _cache_call(cache.set, key, body, timeout=120)
    return HttpResponse(body)


def _cache_call(method, *args, **kwargs):
    """The cache fails open: with Redis down the fragment is simply rendered every time."""
    try:
        return method(*args, **kwargs)
    except Exception:  # noqa: BLE001 - redis-py's errors, whatever the backend raises
        return None


@table_view(Capability.VIEW_SITUATIONS)
def meeting_follow_state(request, access, meeting_id):
    """The polling fallback: only the version (the push carries nothing more either)."""
    meeting = selectors.get_meeting(access, meeting_id)
    return JsonResponse({"version": meeting.version})


@require_POST
@table_view(Capability.VIEW_SITUATIONS)
def meeting_check_in(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    try:
        services.check_in(actor=request.user, meeting=meeting)
        messages.success(request, _("Checked in. The chair confirms your agency's attendance."))
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("meeting-follow", access.table.pk, meeting.pk)


@require_POST
@table_view(Capability.MANAGE_MEETINGS)
def meeting_reopen(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    try:
        services.reopen_meeting(
            actor=request.user, meeting=meeting, reason=request.POST.get("reason", "")
        )
        messages.success(
            request, _("Meeting re-opened. Close it again when the minutes are right.")
        )
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("meeting-detail", access.table.pk, meeting.pk)
