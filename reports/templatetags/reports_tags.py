"""Formatting for report numbers, localised (``50 %`` in French, ``50%`` in English)."""

import datetime

from django import template
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(rate):
    """0.5 → "50%" / "50 %"; None (nothing to divide by) → an em dash."""
    if rate is None or rate == "":
        return "—"
    value = formats.number_format(round(float(rate) * 100), force_grouping=True)
    # French typography puts a narrow no-break space before the percent sign.
    return f"{value}\u202f%" if (get_language() or "en").startswith("fr") else f"{value}%"


@register.filter
def duration(value):
    """A service mobilization time: hours up to three days, then days."""
    if value is None:
        return "—"
    if not isinstance(value, datetime.timedelta):
        value = datetime.timedelta(hours=float(value))
    hours = value.total_seconds() / 3600
    if hours < 72:
        return _("%(hours)s h") % {"hours": _number(hours)}
    return _("%(days)s days") % {"days": _number(hours / 24)}


def _number(value: float) -> str:
    """One decimal, dropped when it is zero: "36 h", "1.5 h" ("1,5 h" in French)."""
    value = round(value, 1)
    return formats.number_format(value, 0 if value == int(value) else 1)


@register.filter
def share(value, total):
    """``value`` as a percentage of ``total``, for table cells."""
    try:
        return percent(value / total) if total else "—"
    except (TypeError, ZeroDivisionError):
        return "—"
