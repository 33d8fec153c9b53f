"""The privacy officer reads the audit chain as sentences in their language, with no raw codes
(consent/audit_text.py), in a constant number of queries."""

import re
from pathlib import Path

from django.urls import reverse
from django.utils import translation

from agencies.permissions import table_access
from cases.models import F2Disposition, Status
from consent.audit_text import SENTENCES, UNKNOWN, describe
from core.models import AuditEvent
from tests.cases.factories import bring_to

ROOT = Path(__file__).resolve().parents[2]
APPS = ("agencies", "cases", "consent", "core", "notifications", "reports", "situation_table")
CODE = re.compile(
    r"\"((?:situation|meeting|identifying_info|disclosure|consent|repeat_marker|retention|policy|"
    r"keys|membership|agreement|account|api_token|admin)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)\""
)


def written_codes() -> set[str]:
    """Every dotted code in the arguments of a ``record_event``/``_record``/``_meeting_event``
    call (the call and its next lines), plus the codes built at run time."""
    codes = set()
    call = re.compile(r"(?:record_event|_record|_meeting_event)\(")
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for match in call.finditer(text):
                codes |= set(CODE.findall(text[match.end() : match.end() + 400].split("\n\n")[0]))
    from situation_table.admin_site import ADMIN_EVENTS

    # event=f"situation.f2.{disposition}", and the operators' console's codes
    return codes | {f"situation.f2.{d}" for d in F2Disposition.values} | set(ADMIN_EVENTS.values())


def test_every_event_code_written_anywhere_has_a_sentence():
    codes = written_codes()
    assert len(codes) > 40, sorted(codes)
    missing = sorted(codes - set(SENTENCES))
    assert not missing, missing


def test_the_audit_tab_reads_as_sentences_in_english_and_french(client, cast):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    client.force_login(cast.privacy)
    url = reverse("privacy-review", args=[cast.table.pk]) + "?tab=audit"

    english = client.get(url).content.decode()
    assert f"Filter 2: accepted {situation.number} as acutely elevated risk." in english
    assert f"Logged {situation.number} as a draft." in english
    assert "situation.f2.accepted" not in english and "cases.situation" not in english
    assert "the gaps are other tables" in english

    with translation.override("fr"):
        events = AuditEvent.objects.filter(table_id=cast.table.pk)
        sentences = [
            s for _e, _who, s in describe(events, table_access(cast.privacy, cast.table.pk))
        ]
    assert any(s.startswith("Filtre 2") for s in sentences), sentences


def test_labels_come_in_constant_queries(cast, django_assert_max_num_queries):
    for _ in range(3):
        bring_to(Status.INTERVENTION, cast=cast)
    few = list(AuditEvent.objects.filter(table_id=cast.table.pk).order_by("id")[:3])
    many = list(AuditEvent.objects.filter(table_id=cast.table.pk).order_by("id"))
    assert len(many) > 3 * len(few)
    access = table_access(cast.privacy, cast.table.pk)
    with django_assert_max_num_queries(4):
        describe(few, access)
    with django_assert_max_num_queries(4):
        described = describe(many, access)
    assert all(sentence != str(UNKNOWN) for _e, _who, sentence in described)
    assert all(
        "—" not in sentence for e, _w, sentence in described if e.event.startswith("situation.")
    )
    # Who: the person's name and their agency at this table.
    assert {who for _e, who, _s in described} >= {
        f"{cast.chair.get_full_name()} · THE",
        f"{cast.rep_police.get_full_name()} · TPS",
    }


def test_a_draft_stays_internal_in_the_privacy_officers_audit_tab(client, cast):
    draft = bring_to(Status.DRAFT, cast=cast)
    client.force_login(cast.privacy)
    body = client.get(reverse("privacy-review", args=[cast.table.pk]) + "?tab=audit").content

    assert draft.number not in body.decode()
    assert "Logged a situation internal to its agency as a draft." in body.decode()
