"""Statistics: values equal hand-computed expectations, constant query counts, bad input."""

import csv
import datetime
import io
import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from agencies.permissions import get_table_access
from reports.forms import DateRange
from reports.statistics import compute_statistics

from .bulk import bulk_situations
from .conftest import PERIOD


def values(counts):
    return {c.code: c.value for c in counts}


def test_statistics_of_the_seeded_quarter_match_hand_counts(seeded):
    cast = seeded.cast
    stats = compute_statistics(get_table_access(cast.coordinator, cast.table.pk), PERIOD)

    # Six discussions in Q1 2025: s1 s2 s3 s6 accepted, s4 rejected, s5 returned. s0 (December),
    # s7 (a draft) and the other table's situation do not count.
    assert stats.discussed == 6
    assert values(stats.f2) == {"accepted": 4, "rejected": 1, "returned": 1}
    assert stats.acceptance_rate == 4 / 6
    assert [(m.month, m.accepted, m.rejected, m.returned) for m in stats.months] == [
        (datetime.date(2025, 1, 1), 2, 0, 0),
        (datetime.date(2025, 2, 1), 1, 1, 0),
        (datetime.date(2025, 3, 1), 1, 0, 1),  # s6 at 22:30 on 31 March, Toronto time
    ]

    # Risk categories of the four accepted situations, ties in taxonomy order.
    assert [(c.code, c.value) for c in stats.risk_categories] == [
        ("drugs", 3),
        ("mental-health", 2),
        ("housing", 2),
        ("missing-school", 1),
    ]
    assert values(stats.age_groups) == {
        "0-5": 0,
        "6-11": 0,
        "12-15": 1,
        "16-17": 0,
        "18-24": 2,
        "25-29": 1,
        "30-39": 0,
        "40-59": 1,
        "60+": 1,
    }
    assert values(stats.genders) == {"female": 3, "male": 3, "gender_diverse": 0, "unknown": 0}
    assert [(c.code, c.value) for c in stats.originating_sectors] == [
        ("police", 3),
        ("housing", 2),
        ("health-care", 1),
    ]

    # Service mobilization: 24 h, 48 h and 5 days; s6 has no intervention yet.
    assert stats.mobilization.measured == 3
    assert stats.mobilization.not_recorded == 1
    assert stats.mobilization.median == datetime.timedelta(hours=48)
    assert values(stats.mobilization.buckets) == {
        "within_24h": 1,
        "24h_to_48h": 1,
        "2d_to_7d": 1,
        "over_7d": 0,
        "not_recorded": 1,
    }

    # Outcomes: s1 connected, s2 refused.
    assert stats.concluded == 2
    assert {c.code: c.value for c in stats.outcomes if c.value} == {"connected": 1, "refused": 1}
    assert stats.connection_rate == 0.5

    pairs = {(p.first.code, p.second.code, p.value) for p in stats.co_occurring}
    assert {(a, b) if a < b else (b, a) for a, b, _n in pairs} == {
        ("drugs", "housing"),
        ("housing", "mental-health"),
        ("drugs", "mental-health"),
        ("drugs", "missing-school"),
    }
    assert {n for _a, _b, n in pairs} == {1}

    assert stats.risk_by_gender.value("drugs", "male") == 2
    assert stats.risk_by_gender.value("drugs", "female") == 1
    assert stats.risk_by_gender.value("mental-health", "female") == 2
    assert stats.risk_by_gender.value("mental-health", "male") == 0
    assert stats.risk_by_age.value("drugs", "18-24") == 2
    assert stats.risk_by_age.value("drugs", "12-15") == 1
    assert stats.risk_by_age.value("missing-school", "12-15") == 1
    assert [c for c, _l in stats.risk_by_age.columns] == ["12-15", "18-24", "25-29"]

    roles = {a.name: (a.led, a.assisted) for a in stats.agencies}
    assert roles == {"Test Police": (1, 2), "Test Housing": (1, 1), "Test Health": (1, 1)}

    assert stats.meetings_held == 3
    attendance = {a.name: (a.present, round(a.rate, 3)) for a in stats.attendance}
    assert attendance == {
        "Test Police": (3, 1.0),
        "Test Housing": (2, 0.667),
        "Test Health": (1, 0.333),
    }


def test_statistics_of_a_period_without_discussions_are_zeros_not_errors(seeded):
    cast = seeded.cast
    empty = DateRange(datetime.date(2023, 1, 1), datetime.date(2023, 12, 31))
    stats = compute_statistics(get_table_access(cast.chair, cast.table.pk), empty)
    assert stats.discussed == 0
    assert stats.acceptance_rate is None
    assert stats.mobilization.median is None
    assert stats.connection_rate is None
    assert stats.risk_categories == []
    assert len(stats.months) == 12


def test_statistics_cost_a_constant_number_of_queries(cast):
    access = get_table_access(cast.coordinator, cast.table.pk)
    period = DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            compute_statistics(access, period)
        return len(ctx.captured_queries)

    bulk_situations(cast.table, 30, agencies=[cast.police, cast.housing, cast.health])
    small = queries()
    bulk_situations(cast.table, 600, agencies=[cast.police, cast.housing, cast.health], offset=30)
    assert queries() == small
    assert small <= 20


def test_dashboard_query_count_does_not_grow_with_the_data(client, cast):
    client.force_login(cast.coordinator)
    url = reverse("reports-statistics", args=[cast.table.pk]) + "?from=2025-01-01&to=2025-12-31"
    agencies = [cast.police, cast.housing, cast.health]
    bulk_situations(cast.table, 20, agencies=agencies)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    bulk_situations(cast.table, 400, agencies=agencies, offset=20)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_dashboard_shows_charts_with_the_same_numbers_in_tables(client, seeded):
    cast = seeded.cast
    client.force_login(cast.chair)
    url = reverse("reports-statistics", args=[cast.table.pk]) + "?from=2025-01-01&to=2025-03-31"
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "vendor/chart-4.6.1.umd.min.js" in body and "js/charts.js" in body
    assert "cdn" not in body.lower()
    charts = dict(
        (m.group(1), json.loads(m.group(2)))
        for m in re.finditer(
            r'<script id="(chart-[a-z0-9-]+)" type="application/json">(.*?)</script>', body
        )
    )
    assert charts["chart-risk"]["labels"] == ["Drugs", "Mental health", "Housing", "Missing school"]
    assert charts["chart-risk"]["datasets"][0]["data"] == [3, 2, 2, 1]
    assert charts["chart-per-month"]["datasets"][0]["data"] == [2, 1, 1]
    # Every chart has a container with an accessible name and a table of its numbers.
    assert body.count('role="img"') == len(charts) == 13
    assert body.count("Show the numbers") == len(charts)
    assert '<td>Drugs</td><td class="num">3</td>' in body
    assert "48 h" in body  # median service mobilization time
    assert "50%" in body  # connection-to-services rate


def test_statistics_csv_has_the_numbers_and_readable_french_labels(client, seeded):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    url = reverse("reports-statistics-csv", args=[cast.table.pk]) + "?from=2025-01-01&to=2025-03-31"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Metric",
        "Item",
        "Breakdown",
        "Value",
        "metric_code",
        "item_code",
        "breakdown_code",
    ]
    by_code = {(r[4], r[5], r[6]): r[3] for r in rows[1:]}
    assert by_code[("discussed", "total", "")] == "6"
    assert by_code[("risk_category", "drugs", "")] == "3"
    assert by_code[("per_month", "2025-02", "rejected")] == "1"
    assert by_code[("mobilization_time", "median_hours", "")] == "48.0"
    assert by_code[("connection_rate", "percent", "")] == "50.0"

    with translation.override("fr"):
        french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    rows = list(csv.reader(io.StringIO(french.content.decode("utf-8-sig"))))
    with translation.override("fr"):
        header = [translation.gettext(m) for m in ("Metric", "Item", "Breakdown", "Value")]
        within_a_day = translation.gettext("Within 24 hours")
    assert rows[0][:4] == header
    assert header[0] != "Metric" and within_a_day != "Within 24 hours"
    assert rows[0][4:] == ["metric_code", "item_code", "breakdown_code"]  # codes stay stable
    labels = {(r[4], r[5]): r[1] for r in rows[1:]}
    assert labels[("risk_category", "drugs")] == "Drogues"  # the taxonomy's own French name
    assert labels[("mobilization_time", "within_24h")] == within_a_day


def test_inverted_or_malformed_range_shows_a_form_error_not_a_500(client, cast):
    client.force_login(cast.coordinator)
    page = reverse("reports-statistics", args=[cast.table.pk])
    inverted = client.get(page, {"from": "2025-03-01", "to": "2025-01-01"})
    assert inverted.status_code == 400
    assert "The end date must be on or after the start date." in inverted.content.decode()
    malformed = client.get(page, {"from": "2025-02-30", "to": "soon"})
    assert malformed.status_code == 400
    assert "Enter a date as YYYY-MM-DD" in malformed.content.decode()
    too_long = client.get(page, {"from": "2010-01-01", "to": "2025-01-01"})
    assert "Choose a period of at most 10 years." in too_long.content.decode()
    absurd = client.get(page, {"from": "0001-01-01", "to": "9999-12-31"})
    assert absurd.status_code == 400
    assert "Choose a date between" in absurd.content.decode()

    csv_url = reverse("reports-statistics-csv", args=[cast.table.pk])
    response = client.get(csv_url, {"from": "2025-03-01", "to": "2025-01-01"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "The date range is not valid.",
        "fields": {"to": ["The end date must be on or after the start date."]},
    }


def test_dashboard_without_a_range_shows_the_last_twelve_months(client, cast):
    client.force_login(cast.chair)
    response = client.get(reverse("reports-statistics", args=[cast.table.pk]))
    assert response.status_code == 200
    assert len(response.context["stats"].months) == 12
