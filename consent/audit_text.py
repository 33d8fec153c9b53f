"""The audit chain read as sentences, in the reader's language (privacy review → Audit chain).

Each event code has one sentence; its placeholders come from the event's structured data, with
ids turned into what a privacy officer recognises (situation numbers, agency short names,
meeting dates). Labels for a page of events are fetched in a constant number of queries.
``tests/consent/test_audit_text.py`` proves every event code written anywhere has a sentence.
"""

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from cases.models import ConclusionReason, Meeting
from cases.visibility import visible_situations
from consent.models import DisclosureBasis, IdentifierField

SENTENCES = {
    # Situations (cases)
    "situation.created": _("Logged %(number)s as a draft."),
    "situation.edited": _("Edited %(number)s."),
    "situation.f1.attested": _("Attested Filter 1 for %(number)s: ready for the table."),
    "situation.withdrawn": _("Withdrew %(number)s."),
    "situation.f2.accepted": _("Filter 2: accepted %(number)s as acutely elevated risk."),
    "situation.f2.rejected": _("Filter 2: rejected %(number)s; it stays with its agency."),
    "situation.f2.returned": _("Filter 2: returned %(number)s for more information."),
    "situation.f3.agencies_named": _("Filter 3: named %(agencies)s for %(number)s."),
    "situation.f4.planned": _("Filter 4: planned %(number)s with %(lead)s leading."),
    "situation.task.added": _("Gave %(owner)s a task on %(number)s, due %(due)s."),
    "situation.task.done": _("Marked a task on %(number)s done."),
    "situation.f4.report_back": _("Recorded a report back on %(number)s."),
    "situation.concluded": _("Concluded %(number)s: %(conclusion)s."),
    # Meetings (cases)
    "meeting.created": _("Scheduled the meeting of %(meeting)s."),
    "meeting.updated": _("Changed the meeting of %(meeting)s."),
    "meeting.agenda.added": _("Put %(situation_number)s on the agenda of %(meeting)s."),
    "meeting.agenda.removed": _("Took %(situation_number)s off the agenda of %(meeting)s."),
    "meeting.agenda.filled": _("Filled the agenda of %(meeting)s (%(count)s situations added)."),
    "meeting.attendance": _("Recorded %(agency)s as %(presence)s at the meeting of %(meeting)s."),
    "meeting.started": _("Started the meeting of %(meeting)s."),
    "meeting.closed": _("Closed the meeting of %(meeting)s."),
    "meeting.reopened": _("Re-opened the meeting of %(meeting)s to correct its minutes."),
    "meeting.current_item": _("Showed an agenda item of %(meeting)s to the followers."),
    "meeting.check_in": _("Checked in for %(agency)s at the meeting of %(meeting)s."),
    # Identifying information and consent
    "identifying_info.recorded": _("Recorded identifying information on %(number)s."),
    "identifying_info.viewed": _("%(agency)s viewed identifying information on %(number)s."),
    "disclosure.created": _(
        "Disclosed %(fields)s of %(number)s to %(agencies)s (basis: %(basis)s)."
    ),
    "disclosure.revoked": _("Revoked access to identifying information on %(number)s."),
    "consent.recorded": _("Recorded consent on %(number)s."),
    "consent.withdrawn": _("Recorded the withdrawal of consent on %(number)s."),
    "repeat_marker.computed": _("Checked %(number)s against this table's last 12 months."),
    "repeat_marker.refused": _(
        "Refused a check against the last 12 months on %(number)s: too many today."
    ),
    "repeat_marker.expired": _("Deleted %(markers)s repeat markers older than 12 months."),
    "retention.purged": _("Purged identifying information past its retention period."),
    "retention.rejected_detail_purged": _(
        "Purged the narrative of a rejected or withdrawn situation past its retention period."
    ),
    "policy.updated": _("Changed what Filter 3 shares and how long it is kept."),
    "keys.rotated": _("Re-encrypted identifying information with the current key."),
    # Membership, agreement, accounts, API
    "membership.invited": _("Invited someone to join for %(agency)s."),
    "membership.invitation_approved": _("Approved an invitation."),
    "membership.invitation_resent": _("Sent an invitation again."),
    "membership.invitation_revoked": _("Revoked an invitation."),
    "membership.invitation_accepted": _("Accepted an invitation for %(agency)s."),
    "membership.deactivated": _("Removed a member's access to this table."),
    "membership.reactivated": _("Restored a member's access to this table."),
    "agreement.published": _("Published version %(version)s of the table's agreement."),
    "agreement.accepted": _("Accepted version %(version)s of the table's agreement."),
    "account.totp_confirmed": _("Turned on two-factor sign-in."),
    "account.backup_codes_issued": _("Issued new two-factor backup codes."),
    "account.password_reset_sent": _("Asked for a password reset."),
    "account.password_reset": _("Reset a password."),
    "api_token.created": _("Created an API token."),
    "api_token.revoked": _("Revoked an API token."),
    "api_token.revoked_all": _("Revoked every API token of a person."),
    "api_token.write_used": _("Changed data through the API."),
    "admin.added": _("Added a record in the operators' console."),
    "admin.changed": _("Changed a record in the operators' console."),
    "admin.deleted": _("Deleted a record in the operators' console."),
}
UNKNOWN = _("Recorded an event of another kind.")
# A situation the reader may not know exists (DESIGN §2a: Filter 1 is internal to its agency).
HIDDEN = _("a situation internal to its agency")


def _situation_id(event) -> int | None:
    if event.object_type == "cases.situation" and event.object_id.isdigit():
        return int(event.object_id)
    value = (event.data or {}).get("situation")
    return value if isinstance(value, int) else None


def _agency_ids(data: dict) -> set[int]:
    ids = set()
    for key in ("agency", "agency_id", "lead", "owner"):
        if isinstance(data.get(key), int):
            ids.add(data[key])
    for key in ("agencies", "assisting"):
        ids.update(i for i in data.get(key) or [] if isinstance(i, int))
    return ids


def describe(events, access) -> list[tuple[object, str, str]]:
    """``(event, who, sentence)`` for each event, in order; four queries whatever their number.

    ``who`` is the person's name and their agency at this table ("Dana Roy · TPS"), or the
    account name when they no longer sit there, or "the system" for scheduled jobs.

    Situation numbers go through the visibility policy: a situation ``access`` may not know
    exists (a draft, one returned at Filter 2) reads as "a situation internal to its agency".
    """
    events = list(events)
    situation_ids = {sid for e in events if (sid := _situation_id(e))}
    situation_ids |= {
        e.data["situation"]
        for e in events
        if e.event.startswith("meeting.") and isinstance((e.data or {}).get("situation"), int)
    }
    numbers = dict(
        visible_situations(access).filter(pk__in=situation_ids).values_list("pk", "number")
    )
    meeting_ids = {
        int(e.object_id)
        for e in events
        if e.object_type == "cases.meeting" and e.object_id.isdigit()
    }
    meetings = dict(Meeting.objects.filter(pk__in=meeting_ids).values_list("pk", "scheduled_at"))
    agency_ids = set().union(*(_agency_ids(e.data or {}) for e in events)) if events else set()
    agencies = {
        pk: short or name
        for pk, short, name in Agency.objects.filter(pk__in=agency_ids).values_list(
            "pk", "short_name", "name"
        )
    }
    people = _people(access, {e.actor_id for e in events if e.actor_id})
    return [
        (
            e,
            people.get(e.actor_id) or e.actor_label or str(SYSTEM),
            _sentence(e, numbers, meetings, agencies),
        )
        for e in events
    ]


SYSTEM = _("the system")


def _people(access, user_ids) -> dict[int, str]:
    """Each actor's name and agency at the table (the membership, active or not)."""
    from agencies.models import Membership

    people = {}
    for membership in Membership.objects.filter(
        table_id=access.table.pk, user_id__in=user_ids
    ).select_related("user", "agency"):
        user = membership.user
        name = user.get_full_name() or user.username
        agency = membership.agency.short_name or membership.agency.name
        people[user.pk] = f"{name} · {agency}"
    return people


def _sentence(event, numbers, meetings, agencies) -> str:
    data = event.data or {}
    template = SENTENCES.get(event.event, UNKNOWN)

    def agency(pk):
        return agencies.get(pk, "—")

    def names(pks):
        return ", ".join(agency(pk) for pk in pks or []) or "—"

    scheduled = meetings.get(int(event.object_id)) if event.object_id.isdigit() else None
    conclusion = data.get("reason")
    values = {
        "number": numbers.get(_situation_id(event), HIDDEN),
        "situation_number": numbers.get(data.get("situation"), HIDDEN),
        "agencies": names(data.get("agencies")),
        "lead": agency(data.get("lead")),
        "owner": agency(data.get("owner")),
        "agency": agency(data.get("agency", data.get("agency_id"))),
        "due": _date(data.get("due")),
        "conclusion": (
            ConclusionReason(conclusion).label if conclusion in ConclusionReason.values else "—"
        ),
        "meeting": (
            formats.date_format(timezone.localtime(scheduled), "DATETIME_FORMAT")
            if scheduled
            else "—"
        ),
        "count": len(data.get("situations") or []),
        "presence": _("present") if data.get("present") else _("absent"),
        "fields": ", ".join(
            str(IdentifierField(f).label)
            for f in data.get("fields") or []
            if f in IdentifierField.values
        )
        or "—",
        "basis": (
            DisclosureBasis(data["basis"]).label
            if data.get("basis") in DisclosureBasis.values
            else "—"
        ),
        "markers": data.get("markers", 0),
        "version": data.get("version", "—"),
    }
    return str(template) % values


def _date(value) -> str:
    import datetime

    try:
        return formats.date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return "—"
