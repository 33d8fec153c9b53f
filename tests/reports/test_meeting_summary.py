"""Meeting summaries: PDF text, CSV values, French labels, no identifying information."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from cases import services
from cases.models import Meeting, Status

from .conftest import NARRATIVE_MARK, PERSON_NAMES


def pdf_text(content: bytes) -> str:
    """The PDF's text with all whitespace removed: pypdf splits kerned pairs ("T est"), so
    phrases are compared without spaces (which also makes the "no names" checks stricter)."""
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def compact(phrase: str) -> str:
    return "".join(phrase.split())


def summary_url(cast, meeting, kind):
    return reverse(f"reports-meeting-summary-{kind}", args=[cast.table.pk, meeting.pk])


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_pdf_summary_has_numbers_agencies_and_decisions_but_no_names(client, seeded):
    cast, jan = seeded.cast, seeded.meetings["jan"]
    client.force_login(cast.coordinator)
    response = client.get(summary_url(cast, jan, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="meeting-summary-NTT-2025-01-15.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for name in ("s1", "s2"):
        assert seeded.number(name) in text
    assert seeded.number("s3") not in text  # on February's agenda, not January's
    for agency in ("Test Police", "Test Housing", "Test Health"):
        assert compact(agency) in text
    assert compact("Meeting summary") in text
    assert compact("F2: accepted as AER") in text
    assert compact("Lead: TPS. Assisting: THC.") in text
    assert compact("Door knock with housing outreach") in text
    # s1 was concluded at February's meeting: January's minutes were frozen when it closed
    # (issue 16), so the conclusion belongs to February's summary only.
    assert compact("Still AER — connected to services") not in text
    feb = pdf_text(client.get(summary_url(cast, seeded.meetings["feb"], "pdf")).content)
    assert compact("Still AER — connected to services") in feb
    # No identifying information: no person's name (staff or otherwise) and no narrative.
    for name in PERSON_NAMES:
        assert name not in text
    assert compact(NARRATIVE_MARK) not in text


def french(*messages: str) -> list[str]:
    """The French of these messages, as the catalogs have it (wording may evolve; the test
    checks that French is used, and that it is actually translated)."""
    with translation.override("fr"):
        out = [
            translation.pgettext(*m) if isinstance(m, tuple) else translation.gettext(m)
            for m in messages
        ]
    return out


def test_pdf_summary_in_french(client, seeded):
    cast, jan = seeded.cast, seeded.meetings["jan"]
    client.force_login(cast.chair)
    with translation.override("fr"):
        response = client.get(summary_url(cast, jan, "pdf"), HTTP_ACCEPT_LANGUAGE="fr")
    text = pdf_text(response.content)
    title, attendance = french("Meeting summary", "Attendance")
    assert title != "Meeting summary" and attendance != "Attendance"
    assert compact(title) in text
    assert compact(attendance) in text
    assert "Meetingsummary" not in text
    assert seeded.number("s1") in text


def test_csv_summary_lists_attendance_and_every_agenda_item(client, seeded):
    cast, jan = seeded.cast, seeded.meetings["jan"]
    client.force_login(cast.coordinator)
    response = client.get(summary_url(cast, jan, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == ["Meeting summary", "Northside Test Table"]
    assert rows[1] == ["Date", "2025-01-15 10:00"]
    attendance_header = rows.index(["Agency", "Sector", "Attendance"])
    assert rows[attendance_header + 1 : attendance_header + 4] == [
        ["Test Health", "Health care", "Present"],
        ["Test Housing", "Housing", "Present"],
        ["Test Police", "Police", "Present"],
    ]
    header = rows.index(
        [
            "Situation",
            "Agenda section",
            "Status",
            "Originating agency",
            "F2 decision",
            "F2 date",
            "Lead agency",
            "Assisting agencies",
            "Decisions at this meeting",
            "Tasks",
            "Conclusion",
        ]
    )
    items = {row[0]: row for row in rows[header + 1 :]}
    assert set(items) == {seeded.number("s1"), seeded.number("s2")}
    s1 = items[seeded.number("s1")]
    assert s1[1:8] == [
        "New presentation",
        str(Status.INTERVENTION.label),  # as it stood when January's meeting closed
        "TPS",
        "Accepted — acutely elevated risk",
        "2025-01-15",
        "TPS",
        "THC",
    ]
    assert s1[8].split(" | ") == [
        "F2: accepted as AER",
        "F3: agencies named: THC, TPS",
        # The plan text itself is Filter 4 working detail: it stays out of the minutes.
        "F4: intervention planned: Lead: TPS. Assisting: THC.",
    ]
    assert s1[9].split(" | ") == [
        # Never marked done, and long past due today.
        "TPS: Door knock with housing outreach (due 2025-01-17, overdue)",
        "THC: Offer a shelter bed (due 2025-01-20, overdue)",
    ]
    assert s1[10] == ""  # concluded at February's meeting, after January's closed
    s2 = items[seeded.number("s2")]
    assert (s2[6], s2[7]) == ("THC", "THE; TPS")
    assert s2[9] == ""
    body = response.content.decode()
    for name in PERSON_NAMES:
        assert name not in body
    assert NARRATIVE_MARK not in body


AGENDA_HEADER = [
    "Situation",
    "Agenda section",
    "Status",
    "Originating agency",
    "F2 decision",
    "F2 date",
    "Lead agency",
    "Assisting agencies",
    "Decisions at this meeting",
    "Tasks",
    "Conclusion",
]


def test_csv_summary_has_french_labels(client, seeded):
    cast, jan = seeded.cast, seeded.meetings["jan"]
    client.force_login(cast.coordinator)
    with translation.override("fr"):
        rows = csv_rows(client.get(summary_url(cast, jan, "csv"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert rows[0][0] == french("Meeting summary")[0] != "Meeting summary"
    attendance_header = french("Agency", "Sector", "Attendance")
    assert attendance_header in rows
    assert attendance_header != ["Agency", "Sector", "Attendance"]
    assert ["Test Health", *french("Health care", ("attendance", "Present"))] in rows
    agenda_header = french(*AGENDA_HEADER)
    assert agenda_header in rows
    # Translated, not merely copied: most labels differ from the English ones.
    assert sum(fr != en for fr, en in zip(agenda_header, AGENDA_HEADER, strict=True)) >= 8
    assert "Organisme" in " ".join(agenda_header)


def test_meeting_with_no_decisions_still_exports(client, cast):
    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=timezone.now()
    )
    client.force_login(cast.coordinator)
    pdf = client.get(summary_url(cast, meeting, "pdf"))
    assert pdf.status_code == 200
    assert compact("No situations were on the agenda.") in pdf_text(pdf.content)
    rows = csv_rows(client.get(summary_url(cast, meeting, "csv")))
    assert rows[-1] == ["No situations were on the agenda."]
    assert ["Test Police", "Police", "Not recorded"] in rows


def test_free_text_that_looks_identifying_is_withheld_and_formulas_neutralised(client, seeded):
    cast, feb = seeded.cast, seeded.meetings["feb"]
    # A Filter 2 reason is typed live and not screened when saved; the summary screens it again.
    seeded.s["s4"].decisions.filter(kind="f2_rejected").update(
        note="Mr. Tremblay can call 613-555-0199."
    )
    Meeting.objects.filter(pk=feb.pk).update(location='=HYPERLINK("http://x.invalid","room")')
    client.force_login(cast.coordinator)
    body = client.get(summary_url(cast, feb, "csv")).content.decode("utf-8-sig")
    assert "Tremblay" not in body and "613-555-0199" not in body
    assert "Note withheld: it may contain identifying information." in body
    assert "Location,\"'=HYPERLINK" in body
    text = pdf_text(client.get(summary_url(cast, feb, "pdf")).content)
    assert "Tremblay" not in text and compact("Note withheld") in text


@pytest.mark.parametrize("kind", ["pdf", "csv"])
def test_meeting_summary_query_count_does_not_grow_with_the_agenda(client, seeded, kind):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    with CaptureQueriesContext(connection) as small:
        # Two items (12 March's only item was returned to its agency: hidden from the table).
        client.get(summary_url(cast, seeded.meetings["jan"], kind))
    with CaptureQueriesContext(connection) as large:
        client.get(summary_url(cast, seeded.meetings["feb"], kind))  # four items
    assert len(large.captured_queries) == len(small.captured_queries)
