"""The public aggregate report: small-cell suppression everywhere, checked against an attacker
who knows the totals and the suppression rules."""

import datetime
import html
import io
import itertools
import random
import re

from django.urls import reverse
from pypdf import PdfReader

from agencies.permissions import get_table_access
from reports.forms import DateRange
from reports.public import (
    PRIMARY,
    SECONDARY,
    SHOWN,
    build_public_report,
    disclosed_cells,
    suppress,
    table_lines,
)

from .conftest import PERSON_NAMES


def displays(grid):
    return [[cell.display for cell in row] for row in grid]


def feasible_values(grid, n_rows, n_cols) -> dict[tuple[int, int], set[int]]:
    """Brute force, independent of the audit in reports.public: every value each hidden inner
    cell can take, given the published numbers and what the symbols say (<5 is 1–4, x is at
    least 5, or a hidden 0). Margins are recomputed from each guess and must match what is shown.
    The guesses for an "x" stop a little above the largest inner count, which only makes this
    check stricter (fewer alternatives)."""
    inner = [(r, c) for r in range(n_rows) for c in range(n_cols)]
    hidden = [p for p in inner if grid[p[0]][p[1]].suppressed]
    top = max(grid[r][c].value for r, c in inner) + 4

    def domain(cell):
        if cell.status == PRIMARY:
            return range(1, 5)
        return range(5 if cell.value >= 5 else 0, top + 1)

    def symbol_allows(cell, value):
        if cell.status == SHOWN:
            return value == cell.value
        if cell.status == PRIMARY:
            return 1 <= value <= 4
        return value >= 5 or (cell.value == 0 and value >= 0)

    seen = {p: set() for p in hidden}
    for values in itertools.product(*(domain(grid[r][c]) for r, c in hidden)):
        guess = [[grid[r][c].value for c in range(n_cols)] for r in range(n_rows)]
        for (r, c), v in zip(hidden, values, strict=True):
            guess[r][c] = v
        rows = [sum(row) for row in guess]
        cols = [sum(guess[r][c] for r in range(n_rows)) for c in range(n_cols)]
        margins = [((r, n_cols), rows[r]) for r in range(n_rows)]
        margins += [((n_rows, c), cols[c]) for c in range(n_cols)]
        margins.append(((n_rows, n_cols), sum(rows)))
        if all(symbol_allows(grid[r][c], v) for (r, c), v in margins):
            for p, v in zip(hidden, values, strict=True):
                seen[p].add(v)
    return seen


def test_counts_from_one_to_four_are_shown_as_less_than_five():
    grid = suppress([[0, 1, 4, 5, 12]], row_totals=False, col_totals=False)
    assert displays(grid) == [["0", "<5", "<5", "5", "12"]]


def test_a_lone_hidden_cell_is_protected_from_subtraction():
    # Row total 19 minus 6 and 11 would give the hidden 2 away: another cell is hidden too.
    grid = suppress([[2, 6, 11]], row_totals=True, col_totals=False)
    assert displays(grid) == [["<5", "x", "11", "19"]]


def test_two_small_cells_whose_sum_is_known_are_not_left_pinned():
    # "7, <5, <5, total 9" would tell a reader that both hidden counts are exactly 1.
    matrix = [[0, 0, 0], [7, 1, 1]]
    grid = suppress(matrix, row_totals=True, col_totals=True)
    lines = table_lines(2, 3, row_totals=True, col_totals=True)
    assert disclosed_cells(grid, lines) == []
    assert all(len(v) >= 2 for v in feasible_values(grid, 2, 3).values())
    assert grid[1][1].display == grid[1][2].display == "<5"


def test_suppression_of_random_tables_never_lets_a_hidden_value_be_derived():
    rng = random.Random(20250101)
    brute_forced = 0
    for _ in range(60):
        rows, cols = rng.choice([(2, 2), (2, 3), (3, 2), (1, 4), (4, 1)])
        matrix = [
            [rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8]) for _c in range(cols)] for _r in range(rows)
        ]
        grid = suppress(matrix, row_totals=True, col_totals=True)
        lines = table_lines(rows, cols, row_totals=True, col_totals=True)
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                if 1 <= cell.value <= 4:
                    assert cell.status == PRIMARY, (matrix, r, c)
                if cell.status == SHOWN:
                    assert cell.display == str(cell.value)
        assert disclosed_cells(grid, lines) == [], matrix
        hidden = [grid[r][c] for r in range(rows) for c in range(cols) if grid[r][c].suppressed]
        guesses = 1
        for cell in hidden:
            guesses *= 4 if cell.status == PRIMARY else 8
        if guesses > 40_000:
            continue  # the brute force would be slow; the audit above still ran
        brute_forced += 1
        for position, possible in feasible_values(grid, rows, cols).items():
            assert len(possible) >= 2, (matrix, position, possible)
    assert brute_forced >= 40


def test_public_report_hides_every_small_count(client, seeded):
    cast = seeded.cast
    access = get_table_access(cast.coordinator, cast.table.pk)
    report = build_public_report(
        access, DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    )
    cells = [cell for table in report.tables for cell in table.all_cells()]
    assert cells, "the report has numbers"
    for cell in cells:
        assert cell.display in {"0", "<5", "x"} or cell.value >= 5
        assert not (1 <= cell.value <= 4 and cell.status == SHOWN)
    # Q1 2025: 4 accepted, 1 rejected, 1 returned, 6 discussed.
    q1 = dict(report.by_quarter.rows)["Q1 2025"]
    assert displays([q1]) == [["<5", "<5", "<5", "6"]]
    assert report.by_quarter.total_row[1][3].display == "6"
    risk = {label: cells[0].display for label, cells in report.risk_categories.rows}
    assert risk == {
        "Drugs": "<5",
        "Mental health": "<5",
        "Housing": "<5",
        "Missing school": "<5",
    }
    outcomes = {label: cells[0].display for label, cells in report.outcomes.rows}
    assert outcomes["Still AER — connected to services"] == "<5"
    assert outcomes["Overall risk lowered"] == "0"
    assert report.outcomes.total_row[1][0].display == "<5"
    for table in report.tables:
        lines = table_lines(
            len(table.rows),
            len(table.columns) - (1 if table is report.by_quarter else 0),
            row_totals=table is report.by_quarter,
            col_totals=table.total_row is not None,
        )
        grid = [cells for _l, cells in table.rows] + (
            [table.total_row[1]] if table.total_row else []
        )
        assert disclosed_cells(grid, lines) == []


def test_public_report_page_and_pdf_show_only_suppressed_small_counts(client, seeded):
    cast = seeded.cast
    client.force_login(cast.coordinator)
    q = "?from=2025-02-10&to=2025-02-20"  # widened to the whole first quarter
    page = client.get(reverse("reports-public", args=[cast.table.pk]) + q)
    body = page.content.decode()
    assert page.status_code == 200
    assert "From 1 January 2025 to 31 March 2025" in body
    numbers = [
        html.unescape(n) for n in re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', body)
    ]
    assert numbers, "tables are rendered"
    for shown in numbers:
        assert shown in {"0", "<5", "x"} or int(shown.replace(",", "")) >= 5, shown

    pdf = client.get(reverse("reports-public-pdf", args=[cast.table.pk]) + q)
    assert pdf.status_code == 200
    assert (
        pdf["Content-Disposition"] == 'attachment; filename="report-NTT-2025-01-01_2025-03-31.pdf"'
    )
    reader = PdfReader(io.BytesIO(pdf.content))
    # Whitespace removed: pypdf splits kerned pairs ("T otal").
    text = "".join("".join(p.extract_text() for p in reader.pages).split())
    assert "Drugs<5" in text
    assert "Q12025<5<5<56" in text
    assert "Totalconcluded<5" in text
    assert "nopersoncanbeidentified" in text
    for name in PERSON_NAMES:
        assert name not in text
    for number in (seeded.number(n) for n in seeded.s):
        assert number not in text  # aggregate only: no situation numbers


def test_public_report_bad_range_is_a_clear_error(client, cast):
    client.force_login(cast.coordinator)
    page = client.get(
        reverse("reports-public", args=[cast.table.pk]), {"from": "2025-09-01", "to": "2025-01-01"}
    )
    assert page.status_code == 400
    assert "The end date must be on or after the start date." in page.content.decode()
    pdf = client.get(
        reverse("reports-public-pdf", args=[cast.table.pk]), {"from": "x", "to": "2025-01-01"}
    )
    assert pdf.status_code == 400
    assert pdf.json()["fields"]["from"] == ["Enter a date as YYYY-MM-DD, for example 2026-01-31."]


def test_secondary_cells_are_marked_differently_from_small_ones():
    grid = suppress([[2, 9, 30]], row_totals=True, col_totals=False)
    assert [c.status for c in grid[0]] == [PRIMARY, SECONDARY, SHOWN, SHOWN]
    assert displays(grid) == [["<5", "x", "30", "41"]]
