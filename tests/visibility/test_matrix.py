"""The visibility matrix of DESIGN §2a, proved cell by cell.

For every stage × audience × surface a distinct sentinel string is planted in each part of a
situation and looked for: present exactly where the table says, absent everywhere else. The
expected table below is transcribed from DESIGN §2a independently of ``cases.visibility``, so a
policy that drifts from the design fails here.
"""

import datetime
import io

import pytest
from django.core import mail
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from cases import services
from cases.models import F2Disposition, Meeting, Situation
from consent import services as consent_services
from notifications import services as notification_services
from notifications.models import Notification

from .sentinels import S

AER = {name: True for name in services.AER_ELEMENTS}

PART_OF = {
    "factor": "summary",
    "narrative": "narrative",
    "reason": "decisions",
    "conclusion": "decisions",
    "plan": "f4_detail",
    "task": "f4_detail",
    "notes": "f4_detail",
    "report": "report_back",
    "given": "identifying",
}

E, L, SU, N, D, F4, RB, ID = (
    "existence",
    "limited",
    "summary",
    "narrative",
    "decisions",
    "f4_detail",
    "report_back",
    "identifying",
)
ALL = {E, L, SU, N, D, F4, RB, ID}
DEID = {E, L, SU, N}

AUDIENCES = [
    "originating",
    "chair",
    "coordinator",
    "named_disclosed",
    "named_undisclosed",
    "lead",
    "assisting",
    "other",
    "privacy",
    "outsider",
]


def expected(stage: str, who: str) -> set[str]:
    """DESIGN §2a, as the user of each audience experiences it."""
    if who == "outsider":
        return set()
    if who == "originating":
        if stage in ("purged",):
            return ALL - {ID}
        if stage == "rejected_purged":
            return {E, L, D}  # narrative and factors deleted at the end of retention
        return ALL
    if stage in ("draft", "returned", "withdrawn_draft"):
        return set()
    chairish = who in ("chair", "coordinator")
    if stage == "presented":
        return {E, L, SU} if who == "privacy" else set(DEID)
    if stage in ("rejected", "rejected_purged"):
        return {E, D, L} if chairish else {E, D}
    if who == "privacy":
        return {E, D}
    if stage == "accepted":
        return DEID | {D}
    base = DEID | {D, RB}
    if stage == "intervention":
        if chairish:
            return base | {F4}
        if who == "named_disclosed":
            return base | {ID}
        if who in ("lead", "assisting"):
            return base | {F4}
        return base
    # concluded, purged: identifying information has ended for everyone but the originator
    if chairish or who in ("lead", "assisting"):
        return base | {F4}
    return base


STAGES = [
    "draft",
    "returned",
    "withdrawn_draft",
    "presented",
    "rejected",
    "rejected_purged",
    "accepted",
    "intervention",
    "concluded",
    "purged",
]


def build(world, stage: str, narrative: str = S["narrative"]) -> tuple[Situation, object]:
    """One situation walked by the real services to ``stage``, with a sentinel in each part."""
    u, a = world["users"], world["agencies"]
    chair = u["chair"]
    meeting = services.create_meeting(
        actor=u["coordinator"],
        table=world["table"],
        scheduled_at=timezone.now() + datetime.timedelta(hours=1),
    )
    situation = services.create_situation(
        actor=u["originating"],
        table=world["table"],
        subject_type="individual",
        age_group="18-24",
        gender="female",
        narrative=f"Youth at risk of eviction, {narrative}, missing school for weeks.",
        risk_factors=[world["factor"]],
    )
    consent_services.record_identifying_info(
        actor=u["originating"],
        situation=situation,
        given_name=S["given"],
        family_name="Matrixfamily",
        date_of_birth=datetime.date(2004, 3, 9),
        address="",
    )
    if stage == "draft":
        return situation, meeting
    if stage == "withdrawn_draft":
        services.withdraw_situation(
            actor=u["originating"], situation=situation, reason="Handled by the agency."
        )
        return situation, meeting
    situation = services.attest_filter1(actor=u["originating"], situation=situation)
    services.add_to_agenda(actor=u["coordinator"], meeting=meeting, situation=situation)
    if stage == "presented":
        return situation, meeting
    if stage in ("returned", "rejected", "rejected_purged"):
        services.record_filter2_decision(
            actor=chair,
            situation=situation,
            disposition=F2Disposition.RETURNED if stage == "returned" else F2Disposition.REJECTED,
            reason=f"Not acutely elevated, {S['reason']}.",
            meeting=meeting,
        )
        if stage == "rejected_purged":
            consent_services.purge_identifying_info(
                now=timezone.now() + datetime.timedelta(days=400)
            )
        return situation, meeting
    situation = services.record_filter2_decision(
        actor=chair,
        situation=situation,
        disposition=F2Disposition.ACCEPTED,
        reason=f"All four elements, {S['reason']}.",
        aer_elements=AER,
        meeting=meeting,
    )
    if stage == "accepted":
        return situation, meeting
    situation = services.record_filter3(
        actor=chair, situation=situation, agencies=[a["named1"], a["named2"]], meeting=meeting
    )
    consent_services.disclose_identifying_info(
        actor=chair,
        situation=situation,
        agencies=[a["named1"]],
        fields=["given_name", "family_name", "date_of_birth"],
        basis="imminent_risk",
        justification="Imminent risk of serious harm to the youth this week, per the table.",
    )
    situation = services.plan_intervention(
        actor=chair,
        situation=situation,
        lead_agency=a["lead"],
        assisting_agencies=[a["assist"]],
        note=f"Door knock within 48 hours, {S['plan']}.",
        meeting=meeting,
    )
    services.add_task(
        actor=chair,
        situation=situation,
        owner_agency=a["lead"],
        description=f"Door knock {S['task']}",
        due_date=timezone.localdate() + datetime.timedelta(days=1),
        meeting=meeting,
    )
    situation = services.record_report_back(
        actor=u["lead"],
        situation=situation,
        note=f"Contact made, {S['report']}.",
        detail=f"Met at the shelter, {S['notes']}.",
        first_intervention_at=timezone.now(),
        meeting=meeting,
    )
    if stage == "intervention":
        return situation, meeting
    services.conclude_situation(
        actor=chair,
        situation=situation,
        open_tasks="keep",
        reason="connected",
        note=f"Connected to housing, {S['conclusion']}.",
        meeting=meeting,
    )
    if stage == "purged":
        consent_services.purge_identifying_info(now=timezone.now() + datetime.timedelta(days=400))
    return situation, meeting


def _client(user, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    return client


_BASE = {"factor", "narrative", "given"}
PLANTED = {
    "draft": _BASE,
    "withdrawn_draft": _BASE,
    "presented": _BASE,
    "returned": _BASE | {"reason"},
    "rejected": _BASE | {"reason"},
    "rejected_purged": {"reason"},  # narrative, factor and identifying information purged
    "accepted": _BASE | {"reason"},
    "intervention": _BASE | {"reason", "plan", "task", "notes", "report"},
    "concluded": _BASE | {"reason", "plan", "task", "notes", "report", "conclusion"},
    "purged": (_BASE - {"given"}) | {"reason", "plan", "task", "notes", "report", "conclusion"},
}


def _check(failures, label, body: str, allowed: set[str], surface_parts: set[str]):
    """Each planted sentinel of a part the surface shows must appear iff the part is allowed;
    sentinels of parts the surface never shows must never appear."""
    stage, surface = label.split("/")[0], label.split(":")[1]
    for key, sentinel in S.items():
        part = PART_OF[key]
        present = sentinel in body
        if part not in allowed or part not in surface_parts:
            if present:
                failures.append(f"{label}: {key} leaked")
        elif not present and key in PLANTED[stage] and key not in OPTIONAL.get(surface, ()):
            failures.append(f"{label}: {key} missing")


# Sentinels a surface may legitimately not show although the part is allowed (e.g. the
# situation list shows no decision text).
OPTIONAL = {
    "list": {"reason", "conclusion"},
    "api_list": {"reason", "conclusion"},
    "summary": {"plan", "notes"},  # the minutes carry decisions and tasks, not working notes
}


@pytest.mark.parametrize("stage", STAGES)
def test_visibility_matrix(world, stage):
    situation, meeting = build(world, stage)
    situation.refresh_from_db()
    table = world["table"].pk
    failures = []
    item = meeting.agenda_items.filter(situation=situation).first()
    for who in AUDIENCES:
        user = world["users"][who]
        allowed = expected(stage, who)
        web, api = _client(user), _client(user, api=True)
        label = f"{stage}/{who}"

        # Situation page: 404 when the member may not know it exists.
        detail = web.get(reverse("situation-detail", args=[table, situation.pk]))
        if E in allowed:
            assert detail.status_code == 200, f"{label}: detail {detail.status_code}"
            _check(failures, f"{label}:detail", detail.content.decode(), allowed, ALL - {ID})
        else:
            assert detail.status_code == 404, f"{label}: detail {detail.status_code}"

        # Situation list (and search by number).
        listing = web.get(reverse("situation-list", args=[table]), {"q": situation.number})
        body = listing.content.decode() if listing.status_code == 200 else ""
        link = f"/situations/{situation.pk}/"
        if (link in body) != (E in allowed):
            failures.append(f"{label}:list existence {link in body}")
        _check(failures, f"{label}:list", body, allowed, {E, SU})

        # Meeting mode, on this situation's agenda item.
        if item is not None:
            mode = web.get(reverse("meeting-mode", args=[table, meeting.pk]), {"item": item.pk})
            body = mode.content.decode() if mode.status_code == 200 else ""
            if (situation.number in body) != (E in allowed):
                failures.append(f"{label}:mode existence {situation.number in body}")
            _check(failures, f"{label}:mode", body, allowed, ALL - {ID})

            # Follow mode (the live meeting on each attendee's screen), on this item.
            # As set_current_item does: the pointer moves and the version with it.
            Meeting.objects.filter(pk=meeting.pk).update(
                current_item=item, version=F("version") + 1
            )
            follow = web.get(reverse("meeting-follow-item", args=[table, meeting.pk]))
            body = follow.content.decode() if follow.status_code == 200 else ""
            if (situation.number in body) != (E in allowed):
                failures.append(f"{label}:follow existence {situation.number in body}")
            _check(failures, f"{label}:follow", body, allowed, ALL - {ID})

        # API: list and detail; hidden fields are absent, not empty.
        base = f"/api/v1/tables/{table}/situations/"
        rows = api.get(base, {"page_size": 200})
        rows = rows.json().get("results", []) if rows.status_code == 200 else []
        mine = [r for r in rows if r["id"] == situation.pk]
        if bool(mine) != (E in allowed):
            failures.append(f"{label}:api_list existence {bool(mine)}")
        if mine and (("age_group" in mine[0]) != (L in allowed)):
            failures.append(f"{label}:api_list limited fields")
        body = str(rows).replace("mtx.sentinel", S["factor"])
        _check(failures, f"{label}:api_list", body, allowed, {E, SU})
        one = api.get(f"{base}{situation.pk}/")
        if E in allowed:
            assert one.status_code == 200, f"{label}: api detail {one.status_code}"
            data = one.json()
            purged_detail = stage == "rejected_purged" and who == "originating"
            if ("narrative" in data) != (N in allowed) and not purged_detail:
                failures.append(f"{label}:api narrative key")
            if ("tasks" in data) != (F4 in allowed) and not purged_detail:
                failures.append(f"{label}:api tasks key")
            if purged_detail and data.get("narrative"):
                failures.append(f"{label}:api narrative not purged")
            body = one.content.decode()
            # Risk factors travel as codes in the API.
            body = body.replace("mtx.sentinel", S["factor"])
            _check(failures, f"{label}:api_detail", body, allowed, ALL - {ID})
        else:
            assert one.status_code == 404, f"{label}: api detail {one.status_code}"

        # Identifying information: only through a reveal (POST), logged.
        reveal = web.post(reverse("person-reveal", args=[table, situation.pk]))
        shown = reveal.status_code == 200 and S["given"] in reveal.content.decode()
        may = ID in allowed and stage not in ("purged",)
        if who == "named_disclosed" and stage == "accepted":
            may = False
        if shown != may:
            failures.append(f"{label}:reveal {reveal.status_code} shown={shown}")

        # Exports: the meeting summary (CSV and PDF) and the RTD export follow the same table.
        summary = web.get(reverse("reports-meeting-summary-csv", args=[table, meeting.pk]))
        if summary.status_code == 200:
            body = b"".join(summary.streaming_content).decode() if summary.streaming else ""
            body = body or summary.content.decode()
            _check(failures, f"{label}:summary", body, allowed, {D, F4, RB})
        pdf = web.get(reverse("reports-meeting-summary-pdf", args=[table, meeting.pk]))
        if pdf.status_code == 200:
            content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
            reader = PdfReader(io.BytesIO(content))
            text = " ".join(page.extract_text() for page in reader.pages)
            _check(failures, f"{label}:summary", text.replace("\n", " "), allowed, {D, F4, RB})
        rtd = web.get(reverse("reports-rtd-csv", args=[table]))
        if rtd.status_code == 200:
            body = b"".join(rtd.streaming_content).decode()
            body = body.replace("mtx.sentinel", S["factor"])
            lines = [line for line in body.splitlines()[1:] if line.strip()]
            if stage in ("draft", "withdrawn_draft", "presented"):
                assert lines == [], f"{label}: RTD rows before any discussion"
                _check(failures, f"{label}:rtd", body, allowed, set())
            else:
                # One row per discussion: the returned discussion is counted too, without the
                # number of a situation that is back inside its agency.
                assert len(lines) == 1, f"{label}: RTD rows {len(lines)}"
                assert (situation.number in body) == (E in allowed), f"{label}: RTD number"
                _check(failures, f"{label}:rtd", body, allowed, {SU})
        # The privacy officer's audit tab: numbers through the policy, never a part's text.
        audit = web.get(reverse("privacy-review", args=[table]), {"tab": "audit"})
        if audit.status_code == 200:
            body = audit.content.decode()
            if (situation.number in body) != (E in allowed):
                failures.append(f"{label}:audit existence {situation.number in body}")
            _check(failures, f"{label}:audit", body, allowed, set())
        stats = web.get(reverse("reports-statistics", args=[table]))
        if stats.status_code == 200:
            _check(failures, f"{label}:statistics", stats.content.decode(), set(), set())

    # Emails and in-app notifications carry numbers, dates and counts only.
    notification_services.sweep(now=timezone.now() + datetime.timedelta(days=3), enqueue=False)
    for pk in Notification.objects.values_list("pk", flat=True):
        notification_services.deliver_notification(pk)
    texts = [
        m.subject + m.body + "".join(a[0] for a in getattr(m, "alternatives", []))
        for m in mail.outbox
    ]
    texts += [str(n.data) for n in Notification.objects.all()]
    for key, sentinel in S.items():
        if any(sentinel in text for text in texts):
            failures.append(f"{stage}: {key} in an email or notification")
    assert failures == []


def test_expected_table_matches_the_policy_for_every_role_and_stage(world):
    """The policy's own table agrees with DESIGN §2a as transcribed above (cheap, exhaustive)."""
    from agencies.permissions import get_table_access
    from cases import visibility

    for stage in STAGES:
        situation, _meeting = build(world, stage)
        situation = Situation.objects.get(pk=situation.pk)
        for who in AUDIENCES:
            if who == "outsider":
                continue
            access = get_table_access(world["users"][who], world["table"].pk)
            parts = {str(p) for p in visibility.sight(access, situation).parts}
            parts.discard("disclosure_meta")
            want = expected(stage, who)
            if stage in ("purged", "rejected_purged") and who == "originating":
                want = ALL if stage == "purged" else ALL  # eligibility; the data itself is gone
            if stage == "intervention" and who in ("named_undisclosed", "lead", "assisting"):
                # Eligible "if disclosed"; without a disclosure the reveal is refused (above).
                want = want | {ID}
            assert parts == want, (stage, who, parts ^ want)
