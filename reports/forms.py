"""The date range every report, export and statistic is filtered by.

One form validates it for the browser pages, the CSV downloads and ``manage.py export_rtd``, so
they all refuse the same bad input with the same message: malformed dates, an inverted range, or a
range longer than ten years (which would only be a typo, and an expensive one).
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_YEARS = 10
EARLIEST = datetime.date(2000, 1, 1)  # before the first Hub table (Prince Albert, 2011)
LATEST = datetime.date(2099, 12, 31)


@dataclass(frozen=True)
class DateRange:
    """Whole days, both ends included, in the table's local time zone."""

    start: datetime.date
    end: datetime.date

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_before(self) -> datetime.datetime:
        """The first instant after the range (exclusive bound for datetime filters)."""
        next_day = self.end + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min))

    def filter_kwargs(self, field: str) -> dict:
        return {f"{field}__gte": self.start_at, f"{field}__lt": self.end_before}

    def as_query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"

    def slug(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def months(self) -> list[datetime.date]:
        """First day of every month the range touches, in order."""
        month = self.start.replace(day=1)
        months = []
        while month <= self.end:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months

    def quarters(self) -> list[datetime.date]:
        """First day of every calendar quarter the range touches, in order."""
        quarter = quarter_start(self.start)
        quarters = []
        while quarter <= self.end:
            quarters.append(quarter)
            quarter = quarter_start(quarter + datetime.timedelta(days=95))
        return quarters


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: datetime.date) -> datetime.date:
    start = quarter_start(day)
    following = quarter_start(start + datetime.timedelta(days=95))
    return following - datetime.timedelta(days=1)


def last_twelve_months(today: datetime.date | None = None) -> DateRange:
    """The default period: the current month and the eleven before it."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    for _i in range(11):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return DateRange(month, today)


class DateRangeForm(forms.Form):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``. A missing end falls back to the default period."""

    date_error = _("Enter a date as YYYY-MM-DD, for example 2026-01-31.")

    def __init__(self, data=None, *, default: DateRange | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.default = default or last_twelve_months()
        # "from" is a Python keyword, so the fields are added by name rather than declared.
        for name, label, initial in (
            ("from", pgettext_lazy("date range", "From"), self.default.start),
            ("to", pgettext_lazy("date range", "To"), self.default.end),
        ):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                initial=initial,
                input_formats=["%Y-%m-%d"],
                error_messages={"invalid": self.date_error},
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start = data.get("from") or self.default.start
        end = data.get("to") or self.default.end
        for name, day in (("from", start), ("to", end)):
            if not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a date between %(earliest)s and %(latest)s.")
                    % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
                )
        if self.errors:
            return data
        if start > end:
            self.add_error("to", _("The end date must be on or after the start date."))
        elif _add_years(start, MAX_YEARS) <= end:
            self.add_error(
                "to", _("Choose a period of at most %(years)s years.") % {"years": MAX_YEARS}
            )
        else:
            data["range"] = DateRange(start, end)
        return data

    def resolve(self) -> DateRange | None:
        """The range to use: the default for an unbound form, the validated one, or None when
        the input is invalid (the errors are then on the form)."""
        if not self.is_bound:
            return self.default
        return self.cleaned_data["range"] if self.is_valid() else None

    def error_messages_by_field(self) -> dict[str, list[str]]:
        return {field: [str(e) for e in errors] for field, errors in self.errors.items()}


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def range_form(params, *, default: DateRange | None = None) -> DateRangeForm:
    """Bind the form only when the request carries a range, so a bare URL shows the default."""
    bound = any(params.get(name) not in (None, "") for name in ("from", "to"))
    return DateRangeForm(params if bound else None, default=default)
