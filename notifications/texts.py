"""Words and links for a notification, rendered when shown (in the reader's language), not stored.

Only what the row's ``data`` holds is used: situation numbers, dates, counts, agency short names.
"""

import datetime

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Kind


def _when(value: str | None) -> str:
    moment = parse_datetime(value or "")
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "D j M, H:i")


def _day(value: str | None) -> str:
    day = parse_date(value or "")
    return formats.date_format(day, "D j M") if day else "—"


def days_overdue(due: str | None, today: datetime.date | None = None) -> int:
    day = parse_date(due or "")
    if day is None:
        return 0
    return max(((today or timezone.localdate()) - day).days, 0)


def title(notification) -> str:
    data = notification.data or {}
    kind = notification.kind
    if kind == Kind.MEETING_REMINDER:
        n = int(data.get("agenda_size", 0))
        return ngettext(
            "Meeting on %(when)s — %(n)d situation on the agenda",
            "Meeting on %(when)s — %(n)d situations on the agenda",
            n,
        ) % {"when": _when(data.get("scheduled_at")), "n": n}
    if kind == Kind.TASK_DUE_TOMORROW:
        return _("A task for %(number)s is due tomorrow (%(due)s)") % {
            "number": data.get("number", "—"),
            "due": _day(data.get("due")),
        }
    if kind == Kind.TASK_OVERDUE:
        return _("A task for %(number)s is overdue (due %(due)s)") % {
            "number": data.get("number", "—"),
            "due": _day(data.get("due")),
        }
    if kind == Kind.TASK_ESCALATION:
        return _(
            "Escalation: a task of %(agency)s for %(number)s is still overdue (due %(due)s)"
        ) % {
            "agency": data.get("agency", "—"),
            "number": data.get("number", "—"),
            "due": _day(data.get("due")),
        }
    if kind == Kind.FIRST_CONTACT_OVERDUE:
        return _(
            "No first contact recorded for %(number)s within %(hours)s hours of acceptance"
        ) % {
            "number": data.get("number", "—"),
            "hours": data.get("hours", 48),
        }
    if kind == Kind.WEEKLY_DIGEST:
        open_tasks, overdue = int(data.get("open_tasks", 0)), int(data.get("overdue_tasks", 0))
        return ngettext(
            "Weekly digest: %(n)d open task, %(overdue)d overdue",
            "Weekly digest: %(n)d open tasks, %(overdue)d overdue",
            open_tasks,
        ) % {"n": open_tasks, "overdue": overdue}
    return notification.get_kind_display()


def target_url(notification) -> str:
    """The page the notice is about (a path; emails prefix it with ``SITE_URL``)."""
    table_id, data = notification.table_id, notification.data or {}
    kind = notification.kind
    if kind == Kind.MEETING_REMINDER:
        return reverse("meeting-detail", args=[table_id, notification.object_id])
    if kind in (Kind.TASK_DUE_TOMORROW, Kind.TASK_OVERDUE):
        return reverse("task-list", args=[table_id])
    if kind == Kind.TASK_ESCALATION and data.get("situation_id"):
        return reverse("situation-detail", args=[table_id, data["situation_id"]])
    if kind == Kind.FIRST_CONTACT_OVERDUE:
        return reverse("situation-detail", args=[table_id, notification.object_id])
    return reverse("table-overview", args=[table_id])
