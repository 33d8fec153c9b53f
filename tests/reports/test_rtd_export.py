"""The RTD-compatible export: columns and values, limited fields, streaming in bounded memory,
the management command, formula-injection neutralising and bad input."""

import csv
import gc
import io
import tracemalloc

import pytest
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import translation

from reports.exports import RTD_COLUMNS, csv_text, neutralize

from .bulk import bulk_situations

Q1 = {"from": "2025-01-01", "to": "2025-03-31"}


def rtd_url(cast):
    return reverse("reports-rtd-csv", args=[cast.table.pk])


def read_csv(response) -> list[dict]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the BOM to read UTF-8 accents
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_rtd_export_has_one_row_per_discussion_with_rtd_fields(client, seeded):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    response = client.get(rtd_url(cast), Q1)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="rtd-NTT-2025-01-01_2025-03-31.csv"'
    )
    rows = read_csv(response)
    assert list(rows[0]) == RTD_COLUMNS
    # Ordered by discussion; s0 (December), s7 (draft) and the other table are not there. s5 was
    # returned: its discussion counts, but the situation is back inside its agency (Filter 1 is
    # internal), so its row carries no number.
    assert [r["situation_id"] for r in rows] == [
        *(seeded.number(name) for name in ("s1", "s2", "s3", "s4")),
        "",
        seeded.number("s6"),
    ]
    s1 = rows[0]
    assert s1 == {
        "situation_id": seeded.number("s1"),
        "subject_type": "individual",
        "age_group": "18-24",
        "gender": "male",
        "originating_sector": "police",
        "filter1_date": "2025-01-10",
        "filter2_date": "2025-01-15",
        "filter2_decision": "accepted",
        "filter3_date": "2025-01-15",
        "filter4_date": "2025-01-15",
        "first_intervention_date": "2025-01-16",
        "lead_sector": "police",
        "assisting_sectors": "housing",
        "risk_categories": "drugs;housing",
        "risk_factors": "drugs.person;housing.homeless",
        "study_flags": "opioids",
        "protective_factors": "willing",
        "affected_persons": "sibling:12-15:1",
        "services_mobilized": "police;housing",
        "conclusion_date": "2025-02-05",
        "conclusion_reason": "connected",
        "status": "concluded",
    }
    s2 = rows[1]
    assert s2["assisting_sectors"] == "police;health-care"
    assert s2["risk_categories"] == "mental-health;housing"
    assert (s2["study_flags"], s2["protective_factors"], s2["affected_persons"]) == ("", "", "")
    s6 = rows[5]
    assert (s6["filter2_date"], s6["status"], s6["conclusion_reason"]) == (
        "2025-03-31",
        "accepted",
        "",
    )
    assert s6["filter3_date"] == ""  # accepted, not yet at Filter 3: empty, not N/A


def test_rejected_and_returned_discussions_carry_only_the_limited_fields(client, seeded):
    cast = seeded.cast
    client.force_login(cast.chair)
    rows = {r["situation_id"]: r for r in read_csv(client.get(rtd_url(cast), Q1))}
    limited = [
        "filter3_date",
        "filter4_date",
        "first_intervention_date",
        "lead_sector",
        "assisting_sectors",
        "risk_categories",
        "risk_factors",
        "study_flags",
        "protective_factors",
        "affected_persons",
        "services_mobilized",
        "conclusion_date",
        "conclusion_reason",
    ]
    rejected = rows[seeded.number("s4")]
    assert {rejected[c] for c in limited} == {"N/A"}
    assert (rejected["filter2_decision"], rejected["age_group"], rejected["gender"]) == (
        "rejected",
        "40-59",
        "male",
    )
    assert rejected["originating_sector"] == "health-care"
    returned = rows[""]  # s5, back inside its agency: counted, without its number
    assert {returned[c] for c in limited} == {"N/A"}
    assert (returned["filter2_decision"], returned["status"]) == ("returned", "N/A")
    assert returned["filter1_date"] == ""  # returned: Filter 1 must be attested again


def test_date_range_filters_by_the_discussion_date(client, seeded):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    rows = read_csv(client.get(rtd_url(cast), {"from": "2025-02-01", "to": "2025-02-28"}))
    assert [r["situation_id"] for r in rows] == [seeded.number("s3"), seeded.number("s4")]
    # 31 March 22:30 in Toronto is 1 April in UTC; the table's day is what counts.
    april = read_csv(client.get(rtd_url(cast), {"from": "2025-04-01", "to": "2025-04-30"}))
    assert april == []


def test_readable_labels_follow_the_request_language(client, seeded):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    english = read_csv(client.get(rtd_url(cast), {**Q1, "values": "labels"}))[0]
    assert english["risk_factors"] == "Drug use — person; Homeless / transient"
    assert english["originating_sector"] == "Police"
    assert english["filter2_decision"] == "Accepted — acutely elevated risk"
    with translation.override("fr"):
        french = read_csv(
            client.get(rtd_url(cast), {**Q1, "values": "labels"}, HTTP_ACCEPT_LANGUAGE="fr")
        )
    assert list(french[0]) == RTD_COLUMNS  # the header keeps its stable codes
    assert french[0]["risk_categories"] == "Drogues; Logement"
    assert french[0]["risk_factors"] == (
        "Consommation de drogues — personne; Itinérance / sans domicile fixe"
    )
    with translation.override("fr"):
        housing = translation.gettext("Housing")
    assert french[0]["assisting_sectors"] == housing != "Housing"


def test_bad_date_ranges_are_a_400_with_a_clear_message(client, cast):
    client.force_login(cast.coordinator)
    cases = [
        ({"from": "2025-03-31", "to": "2025-01-01"}, "to", "on or after the start date"),
        ({"from": "31/01/2025", "to": "2025-03-01"}, "from", "Enter a date as YYYY-MM-DD"),
        ({"from": "2025-01-01", "to": "2025-02-30"}, "to", "Enter a date as YYYY-MM-DD"),
        ({"from": "2000-01-01", "to": "2015-01-01"}, "to", "at most 10 years"),
        ({"from": "2025-01-01", "to": "2025-02-01", "values": "everything"}, "values", "valid"),
    ]
    for params, field, message in cases:
        response = client.get(rtd_url(cast), params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["error"] == "The date range is not valid."
        assert message in " ".join(body["fields"][field]), params


def test_exports_page_downloads_through_a_validated_form(client, seeded):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    page = reverse("reports-exports", args=[cast.table.pk])
    response = client.get(page)
    assert response.status_code == 200
    body = response.content.decode()
    assert "RTD-compatible export" in body
    assert f"/reports/meetings/{seeded.meetings['jan'].pk}/summary.pdf" in body
    ok = client.get(page, {"download": "rtd", **Q1, "values": "labels"})
    assert ok.status_code == 302
    assert ok.url == f"{rtd_url(cast)}?from=2025-01-01&to=2025-03-31&values=labels"
    bad = client.get(page, {"download": "rtd", "from": "2025-03-31", "to": "2025-01-01"})
    assert bad.status_code == 400
    assert "The end date must be on or after the start date." in bad.content.decode()


def test_management_command_writes_the_same_csv(seeded, tmp_path):
    cast = seeded.cast
    output = tmp_path / "rtd.csv"
    call_command(
        "export_rtd", table="ntt", start="2025-01-01", end="2025-03-31", output=str(output)
    )
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 6
    assert rows[0]["risk_factors"] == "drugs.person;housing.homeless"

    french = tmp_path / "rtd-fr.csv"
    call_command(
        "export_rtd",
        table=str(cast.table.pk),
        start="2025-02-01",
        end="2025-02-28",
        output=str(french),
        lang="fr",
    )
    rows = list(csv.DictReader(io.StringIO(french.read_text(encoding="utf-8-sig"))))
    assert [r["situation_id"] for r in rows] == [seeded.number("s3"), seeded.number("s4")]
    assert rows[0]["risk_categories"] == "Drogues; Santé mentale"


def test_management_command_refuses_bad_input_clearly(cast, tmp_path):
    output = str(tmp_path / "x.csv")
    with pytest.raises(CommandError, match="on or after the start date"):
        call_command("export_rtd", table="NTT", start="2025-03-01", end="2025-01-01", output=output)
    with pytest.raises(CommandError, match="Enter a date as YYYY-MM-DD"):
        call_command("export_rtd", table="NTT", start="yesterday", end="2025-01-01", output=output)
    with pytest.raises(CommandError, match="No table"):
        call_command(
            "export_rtd", table="NOPE", start="2025-01-01", end="2025-02-01", output=output
        )
    with pytest.raises(CommandError, match="Cannot write"):
        call_command(
            "export_rtd",
            table="NTT",
            start="2025-01-01",
            end="2025-02-01",
            output=str(tmp_path / "missing-dir" / "x.csv"),
        )


# --- Formula injection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "  =cmd|' /C calc'!A0", "\uff1d1+1"],
)
def test_cells_a_spreadsheet_would_evaluate_are_neutralised(value):
    assert neutralize(value) == "'" + value
    row = csv_text(["h"], [[value]]).splitlines()[1]
    assert row.lstrip('"').startswith("'")


@pytest.mark.parametrize("value", ["NTT-2025-0001", "18-24", "60+", "N/A", "a=b", "", "Police"])
def test_ordinary_cells_are_left_alone(value):
    assert neutralize(value) == value


def test_numbers_stay_numbers():
    assert neutralize(-3) == -3
    assert neutralize(2.5) == 2.5
    assert neutralize(None) == ""


# --- Streaming in bounded memory -----------------------------------------------------------------


def peak_memory_of_export(client, url) -> tuple[int, int]:
    """tracemalloc peak (bytes) while the whole export is produced and read, and its rows."""
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get(url)
        assert isinstance(response, StreamingHttpResponse)
        # Reading to the end closes the response, as a WSGI server would.
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, lines - 1


def test_rtd_export_streams_in_bounded_memory(client, cast):
    agencies = [cast.police, cast.housing, cast.health]
    client.force_login(cast.coordinator)
    url = f"{rtd_url(cast)}?from=2025-01-01&to=2025-12-31"
    bulk_situations(cast.table, 200, agencies=agencies)
    peak_memory_of_export(client, url)  # warm-up: imports, URL resolver, template loaders
    small, rows_small = peak_memory_of_export(client, url)
    bulk_situations(cast.table, 1800, agencies=agencies, offset=200)
    large, rows_large = peak_memory_of_export(client, url)
    assert (rows_small, rows_large) == (200, 2000)
    assert large <= 1.3 * small, f"peak {large} bytes for 2,000 rows vs {small} for 200"


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_export_streams_whole_from_an_async_iterator(client, cast):
    # Production serves ASGI (gunicorn's uvicorn workers): Django would buffer a sync iterator
    # there, so the view hands it an async one (core.http.streamed) and every row still arrives.
    from django.test import AsyncClient

    from tests.asyncio_thread import run

    bulk_situations(cast.table, 450, agencies=[cast.police, cast.housing, cast.health])
    client.force_login(cast.coordinator)
    asgi = AsyncClient()
    asgi.cookies = client.cookies
    url = f"{rtd_url(cast)}?from=2025-01-01&to=2025-12-31"

    async def download():
        response = await asgi.get(url)
        assert response.is_async
        chunks = [chunk async for chunk in response.streaming_content]
        return response.status_code, chunks

    status, chunks = run(download)
    assert status == 200
    assert len(chunks) > 2  # streamed in pieces, not one buffered body
    assert b"".join(chunks).count(b"\n") == 451
