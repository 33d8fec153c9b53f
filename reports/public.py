"""The public aggregate report, with small-cell suppression.

Tables publish yearly numbers to councils, police boards and the public. Counts of people this
small can point at a person ("the one 12–15 year old with gang involvement this quarter"), so:

1. **Primary suppression**: any count from 1 to 4 is shown as "<5".
2. **Complementary suppression**: in a row or column with a published total, a hidden cell
   could be recovered by subtraction (total minus the others), or pinned down by its bounds (two
   "<5" cells whose hidden sum is 2 must both be 1). An audit works out what a reader can deduce
   from every published number; while any hidden value is exact, another cell of the line that
   gives it away (the smallest non-zero one that helps) is hidden too and shown as "x".
3. Nothing else that would let the hidden values be derived is printed: no percentages, no
   "still open" counts, and categories are listed with hidden counts in taxonomy order (ordering
   them by their true size would leak it).

Report periods are whole calendar quarters, so two published reports do not overlap partially
(overlapping periods would let a reader subtract one report from the other).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncQuarter
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import ConclusionReason, F2Disposition, RiskCategory, Situation, Status

from .forms import DateRange, quarter_end, quarter_start
from .statistics import discussed_situations, discussions

SMALL_CELL_MAX = 4
PRIMARY = "primary"
SECONDARY = "secondary"
SHOWN = "shown"

LEGEND_PRIMARY = gettext_lazy("<5: a count from 1 to 4, hidden to protect privacy.")
LEGEND_SECONDARY = gettext_lazy(
    "x: hidden so that a small count cannot be worked out from the totals."
)


@dataclass
class Cell:
    value: int
    status: str = SHOWN

    @property
    def suppressed(self) -> bool:
        return self.status != SHOWN

    @property
    def display(self) -> str:
        if self.status == PRIMARY:
            return "<5"
        if self.status == SECONDARY:
            return "x"
        return formats.number_format(self.value, force_grouping=True)


Position = tuple[int, int]
UNBOUNDED = 10**12


def suppress(matrix: list[list[int]], *, row_totals: bool, col_totals: bool) -> list[list[Cell]]:
    """Suppress small cells of ``matrix`` and return it as cells, with its margins appended.

    With ``row_totals`` each row gets its total as a last cell; with ``col_totals`` a last row
    holds the column totals (and the grand total when both are asked for). Cells from 1 to 4 are
    hidden first; then, as long as a reader could pin down a hidden value from the published
    numbers (see :func:`disclosed_cells`), one more cell of the line that gives it away is hidden.
    """
    n_rows = len(matrix)
    n_cols = len(matrix[0]) if matrix else 0
    grid = [[Cell(v) for v in row] for row in matrix]
    if row_totals:
        for row in grid:
            row.append(Cell(sum(c.value for c in row)))
    if col_totals:
        width = n_cols + (1 if row_totals else 0)
        grid.append([Cell(sum(grid[r][c].value for r in range(n_rows))) for c in range(width)])
    lines = table_lines(n_rows, n_cols, row_totals=row_totals, col_totals=col_totals)

    for row in grid:
        for cell in row:
            if 1 <= cell.value <= SMALL_CELL_MAX:
                cell.status = PRIMARY

    while disclosed := disclosed_cells(grid, lines):
        if not any(_hide_one_more(grid, lines, p) for p in disclosed):
            break  # every cell of every line through them is already hidden
    return grid


def table_lines(n_rows: int, n_cols: int, *, row_totals: bool, col_totals: bool):
    """The additive relations of a table with margins: each line's last cell is its total."""
    lines: list[list[Position]] = []
    if row_totals:
        last_row = n_rows + (1 if col_totals else 0)
        lines += [[(r, c) for c in range(n_cols + 1)] for r in range(last_row)]
    if col_totals:
        last_col = n_cols + (1 if row_totals else 0)
        lines += [[(r, c) for r in range(n_rows + 1)] for c in range(last_col)]
    return lines


def _bounds(cell: Cell) -> tuple[int, int]:
    """What a reader who knows this algorithm can tell about a cell from its display."""
    if cell.status == SHOWN:
        return cell.value, cell.value
    if cell.status == PRIMARY:
        return 1, SMALL_CELL_MAX
    # A complementary cell is the smallest non-small one of its line, so at least 5 (or a 0
    # hidden for lack of anything else).
    return (SMALL_CELL_MAX + 1, UNBOUNDED) if cell.value > SMALL_CELL_MAX else (0, UNBOUNDED)


def disclosed_cells(grid: list[list[Cell]], lines) -> list[Position]:
    """Hidden cells whose exact value follows from the published numbers.

    Interval propagation over every line "cells add up to the total": each hidden cell starts
    with what its symbol says (``<5`` is 1–4, ``x`` is at least 5) and is narrowed by the totals
    and the other cells until nothing changes. This catches plain subtraction (a lone hidden
    cell) and the subtler cases, such as two ``<5`` cells in a row whose hidden sum is 2.
    """
    bounds = {(r, c): _bounds(cell) for r, row in enumerate(grid) for c, cell in enumerate(row)}
    changed = True
    while changed:
        changed = False
        for line in lines:
            *inner, total = line
            low_sum = sum(bounds[p][0] for p in inner)
            high_sum = sum(bounds[p][1] for p in inner)
            t_low, t_high = bounds[total]
            new_total = (max(t_low, low_sum), min(t_high, high_sum))
            if new_total != bounds[total]:
                bounds[total] = new_total
                changed = True
            t_low, t_high = bounds[total]
            for p in inner:
                low, high = bounds[p]
                new = (max(low, t_low - (high_sum - high)), min(high, t_high - (low_sum - low)))
                if new != (low, high):
                    bounds[p] = new
                    changed = True
                    low_sum += new[0] - low
                    high_sum += new[1] - high
    return [
        (r, c)
        for r, row in enumerate(grid)
        for c, cell in enumerate(row)
        if cell.suppressed and bounds[(r, c)][0] == bounds[(r, c)][1]
    ]


def _hide_one_more(grid, lines, position: Position) -> bool:
    """Hide one more cell on a line through ``position``: the one that protects it at the
    least cost (preferably non-zero, then smallest). Returns False if nothing could be hidden."""
    candidates = sorted(
        {p for line in lines if position in line for p in line if not grid[p[0]][p[1]].suppressed},
        key=lambda p: (grid[p[0]][p[1]].value == 0, grid[p[0]][p[1]].value, p),
    )
    if not candidates:
        return False
    for p in candidates:
        grid[p[0]][p[1]].status = SECONDARY
        if position not in disclosed_cells(grid, lines):
            return True
        grid[p[0]][p[1]].status = SHOWN
    # No single cell protects it; hide the cheapest and let the next round add more.
    first = candidates[0]
    grid[first[0]][first[1]].status = SECONDARY
    return True


@dataclass
class PublicTable:
    title: str
    caption: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    total_row: tuple[str, list[Cell]] | None = None

    def all_cells(self) -> list[Cell]:
        cells = [c for _label, row in self.rows for c in row]
        if self.total_row:
            cells += self.total_row[1]
        return cells


@dataclass
class PublicReport:
    table_name: str
    period: DateRange
    by_quarter: PublicTable
    risk_categories: PublicTable
    outcomes: PublicTable
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def tables(self) -> list[PublicTable]:
        return [self.by_quarter, self.risk_categories, self.outcomes]

    @property
    def legend(self) -> list[str]:
        return [str(LEGEND_PRIMARY), str(LEGEND_SECONDARY)]


def whole_quarters(period: DateRange) -> DateRange:
    return DateRange(quarter_start(period.start), quarter_end(period.end))


def quarter_label(start: datetime.date) -> str:
    quarter = (start.month - 1) // 3 + 1
    return _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": start.year}


def build_public_report(access, period: DateRange) -> PublicReport:
    period = whole_quarters(period)
    discussed = discussions(access, period)
    accepted = discussed_situations(access, period).filter(f2_disposition=F2Disposition.ACCEPTED)

    # Situations discussed at Filter 2, by quarter and decision.
    dispositions = [F2Disposition.ACCEPTED, F2Disposition.REJECTED, F2Disposition.RETURNED]
    counts: dict[tuple[datetime.date, str], int] = {}
    for quarter, disposition, n in (
        discussed.annotate(quarter=TruncQuarter("decided_at"))
        .values_list("quarter", "disposition")
        .annotate(n=Count("id"))
        .order_by()
    ):
        local = timezone.localtime(quarter) if timezone.is_aware(quarter) else quarter
        key = quarter_start(local.date() if isinstance(local, datetime.datetime) else local)
        counts[(key, disposition)] = counts.get((key, disposition), 0) + n
    quarters = period.quarters()
    grid = suppress(
        [[counts.get((q, d), 0) for d in dispositions] for q in quarters],
        row_totals=True,
        col_totals=True,
    )
    by_quarter = PublicTable(
        title=_("Situations discussed, by quarter"),
        caption=_(
            "Situations the table discussed at Filter 2 (de-identified discussion), by the "
            "table's decision."
        ),
        row_header=_("Quarter"),
        columns=[
            _("Accepted (acutely elevated risk)"),
            _("Not accepted"),
            _("Returned for more information"),
            _("Total discussed"),
        ],
        rows=[(quarter_label(q), grid[i]) for i, q in enumerate(quarters)],
        total_row=(_("Total"), grid[-1]),
    )

    # Risk categories among accepted situations (a situation counts once per category; the
    # counts do not add up to a total, so only primary suppression applies).
    categories = {c.pk: c for c in RiskCategory.objects.all()}
    risk = dict(
        Situation.risk_factors.through.objects.filter(situation__in=accepted)
        .values_list("riskfactor__category_id")
        .annotate(n=Count("situation_id", distinct=True))
        .order_by()
    )
    risk_cells = {
        pk: suppress([[n]], row_totals=False, col_totals=False)[0][0] for pk, n in risk.items()
    }
    ordered = sorted(
        risk_cells,
        key=lambda pk: (
            risk_cells[pk].suppressed,
            -risk_cells[pk].value if not risk_cells[pk].suppressed else 0,
            categories[pk].ordering,
        ),
    )
    risk_categories = PublicTable(
        title=_("Risk categories"),
        caption=_(
            "Accepted situations in which each risk category was present. A situation usually "
            "has several, so these counts do not add up to the number of situations."
        ),
        row_header=_("Risk category"),
        columns=[_("Situations")],
        rows=[(categories[pk].name, [risk_cells[pk]]) for pk in ordered],
    )

    # How concluded situations ended.
    reasons = dict(
        accepted.filter(status=Status.CONCLUDED)
        .values_list("conclusion_reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    outcome_grid = suppress(
        [[reasons.get(code, 0)] for code in ConclusionReason.values],
        row_totals=False,
        col_totals=True,
    )
    outcomes = PublicTable(
        title=_("Outcomes"),
        caption=_(
            "How the accepted situations discussed in this period have ended so far "
            "(concluded situations only)."
        ),
        row_header=_("Conclusion"),
        columns=[_("Situations")],
        rows=[
            (str(label), outcome_grid[i])
            for i, (_code, label) in enumerate(ConclusionReason.choices)
        ],
        total_row=(_("Total concluded"), outcome_grid[-1]),
    )
    return PublicReport(
        table_name=access.table.name,
        period=period,
        by_quarter=by_quarter,
        risk_categories=risk_categories,
        outcomes=outcomes,
    )
