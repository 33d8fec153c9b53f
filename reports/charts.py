"""Chart descriptions for ``static/js/charts.js``: plain data, serialised with ``json_script``.

Only numbers, labels and a few display hints cross into JavaScript; colours are picked by the
script from the app's calm palette, so the templates and the CSS stay the single source of style.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def _chart(kind, labels, datasets, **options) -> dict:
    return {
        "type": kind,
        "labels": [str(label) for label in labels],
        "datasets": [{"label": str(label), "data": list(data)} for label, data in datasets],
        **options,
    }


def _counts(counts, label, *, horizontal=False, limit=None, kind="bar", **options):
    counts = list(counts)[:limit] if limit else list(counts)
    return _chart(
        kind,
        [c.label for c in counts],
        [(label, [c.value for c in counts])],
        horizontal=horizontal,
        **options,
    )


# Decisions keep the same colours everywhere: accepted navy, rejected amber, returned grey.
DECISION_COLOURS = ["navy", "amber", "grey"]


def dashboard_charts(stats) -> dict[str, dict]:
    situations = _("Situations")
    months = stats.months
    return {
        "chart-per-month": _chart(
            "bar",
            [m.label for m in months],
            [
                (pgettext("situations", "Accepted"), [m.accepted for m in months]),
                (pgettext("situations", "Rejected"), [m.rejected for m in months]),
                (pgettext("situations", "Returned"), [m.returned for m in months]),
            ],
            stacked=True,
            colors=DECISION_COLOURS,
        ),
        "chart-f2": _chart(
            "doughnut",
            [
                pgettext("situations", "Accepted"),
                pgettext("situations", "Rejected"),
                pgettext("situations", "Returned"),
            ],
            [(situations, [c.value for c in stats.f2])],
            colors=DECISION_COLOURS,
        ),
        "chart-risk": _counts(stats.risk_categories, situations, horizontal=True, limit=12),
        "chart-age": _counts(stats.age_groups, situations),
        "chart-gender": _counts(stats.genders, situations, kind="doughnut"),
        "chart-sectors": _counts(stats.originating_sectors, situations, horizontal=True),
        "chart-mobilization": _counts(
            stats.mobilization.buckets,
            situations,
            # "Not recorded yet" is missing data, not a time: grey, after the navy times.
            colors=["navy"] * (len(stats.mobilization.buckets) - 1) + ["grey"],
        ),
        "chart-outcomes": _counts(stats.outcomes, situations, horizontal=True),
        "chart-co-occurring": _chart(
            "bar",
            [f"{p.first.label} + {p.second.label}" for p in stats.co_occurring],
            [(situations, [p.value for p in stats.co_occurring])],
            horizontal=True,
        ),
        "chart-risk-age": _crosstab(stats.risk_by_age),
        "chart-risk-gender": _crosstab(stats.risk_by_gender),
        "chart-agencies": _chart(
            "bar",
            [a.short_name for a in stats.agencies],
            [
                (pgettext("agency role", "Lead"), [a.led for a in stats.agencies]),
                (pgettext("agency role", "Assisting"), [a.assisted for a in stats.agencies]),
            ],
            horizontal=True,
            colors=["navy", "green"],
        ),
        "chart-attendance": _chart(
            "bar",
            [a.short_name for a in stats.attendance],
            [
                (
                    _("Attendance rate (%)"),
                    [round((a.rate or 0) * 100, 1) for a in stats.attendance],
                )
            ],
            horizontal=True,
            percent=True,
        ),
    }


def _crosstab(tab) -> dict:
    return _chart(
        "bar",
        [label for _code, label in tab.rows],
        [(c_label, [tab.value(r, c) for r, _l in tab.rows]) for c, c_label in tab.columns],
        horizontal=True,
        stacked=True,
    )
