"""Exports, statistics and the public report of a table.

Access: ``table_view`` answers 404 to non-members and 403 to members without the capability.
Table-wide exports need ``Capability.EXPORT`` (chair, coordinator), the dashboard
``Capability.VIEW_STATISTICS``. Every export starts from the member's scoped selector.

Bad date ranges never reach a query: pages show the form error (HTTP 400), downloads answer a short
JSON message (HTTP 400), so a script that calls a download URL learns what is wrong.
"""

import logging

from django import forms
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.permissions import Capability, table_view
from cases import selectors
from core.http import streamed

from . import charts, exports
from .forms import DateRangeForm, range_form
from .pdf import render_pdf
from .public import build_public_report
from .statistics import compute_statistics
from .summary import build_meeting_summary

logger = logging.getLogger(__name__)


def _invalid_range(form) -> JsonResponse:
    return JsonResponse(
        {"error": _("The date range is not valid."), "fields": form.error_messages_by_field()},
        status=400,
    )


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Exports are de-identified, but still nothing for a shared proxy or browser cache to keep.
    response["Cache-Control"] = "no-store"
    return response


def _log(request, access, kind: str, **data) -> None:
    # Ids and codes only: what was exported, by whom, never any content.
    logger.info(
        "export kind=%s table=%s user=%s %s",
        kind,
        access.table.pk,
        request.user.pk,
        " ".join(f"{k}={v}" for k, v in sorted(data.items())),
    )


# --- Exports page and the RTD export -------------------------------------------------------------


class RtdExportForm(DateRangeForm):
    VALUES = [
        ("codes", gettext_lazy("Stable codes (for the RTD and spreadsheets)")),
        ("labels", gettext_lazy("Readable labels in the current language")),
    ]

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["values"] = forms.ChoiceField(
            label=_("Values"), choices=self.VALUES, required=False, initial="codes"
        )

    @property
    def labels(self) -> bool:
        return self.is_bound and self.cleaned_data.get("values") == "labels"


def _rtd_form(params) -> RtdExportForm:
    bound = any(params.get(name) not in (None, "") for name in ("from", "to", "values"))
    return RtdExportForm(params if bound else None)


@table_view(Capability.EXPORT)
def exports_index(request, access):
    form = _rtd_form(request.GET)
    status = 200
    if request.GET.get("download") == "rtd":
        period = form.resolve()
        if period is not None:
            query = period.as_query() + ("&values=labels" if form.labels else "")
            return redirect(f"{reverse('reports-rtd-csv', args=[access.table.pk])}?{query}")
        status = 400
    meetings = selectors.meeting_list(access).order_by("-scheduled_at")[:12]
    context = {"access": access, "form": form, "meetings": meetings}
    return render(request, "reports/exports.html", context, status=status)


@table_view(Capability.EXPORT)
def rtd_csv(request, access):
    form = _rtd_form(request.GET)
    period = form.resolve()
    if period is None:
        return _invalid_range(form)
    situations = exports.rtd_situations(
        selectors.situations_visible_to(access), period, table=access.table
    )
    language = translation.get_language()
    labels = form.labels

    def stream():
        # The response is iterated after the view returns; keep the request's language.
        with translation.override(language):
            yield from exports.csv_lines(
                exports.RTD_COLUMNS, exports.rtd_rows(situations, labels=labels)
            )

    _log(request, access, "rtd", start=period.start, end=period.end, labels=labels)
    response = StreamingHttpResponse(
        streamed(request, stream()), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, f"rtd-{access.table.code}-{period.slug()}.csv")


# --- Meeting summary -----------------------------------------------------------------------------


def _summary_filename(access, meeting, extension: str) -> str:
    day = timezone.localtime(meeting.scheduled_at).date().isoformat()
    return f"meeting-summary-{access.table.code}-{day}.{extension}"


@table_view(Capability.EXPORT)
def meeting_summary_pdf(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    summary = build_meeting_summary(access, meeting)
    pdf = render_pdf(
        "reports/meeting_summary_pdf.html", {"summary": summary, "access": access}, request=request
    )
    _log(request, access, "meeting_summary_pdf", meeting=meeting.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    return _attachment(response, _summary_filename(access, meeting, "pdf"))


@table_view(Capability.EXPORT)
def meeting_summary_csv(request, access, meeting_id):
    meeting = selectors.get_meeting(access, meeting_id)
    summary = build_meeting_summary(access, meeting)
    header, rows = exports.meeting_summary_rows(summary)
    _log(request, access, "meeting_summary_csv", meeting=meeting.pk)
    response = HttpResponse(exports.csv_text(header, rows), content_type="text/csv; charset=utf-8")
    return _attachment(response, _summary_filename(access, meeting, "csv"))


# --- Statistics ----------------------------------------------------------------------------------


@table_view(Capability.VIEW_STATISTICS)
def statistics_dashboard(request, access):
    form = range_form(request.GET)
    period = form.resolve()
    stats = compute_statistics(access, period) if period else None
    context = {
        "access": access,
        "form": form,
        "stats": stats,
        "charts": charts.dashboard_charts(stats) if stats else {},
        "query": period.as_query() if period else "",
    }
    return render(request, "reports/statistics.html", context, status=200 if stats else 400)


@table_view(Capability.VIEW_STATISTICS)
def statistics_csv(request, access):
    form = range_form(request.GET)
    period = form.resolve()
    if period is None:
        return _invalid_range(form)
    stats = compute_statistics(access, period)
    header, rows = exports.statistics_rows(stats)
    _log(request, access, "statistics", start=period.start, end=period.end)
    response = HttpResponse(exports.csv_text(header, rows), content_type="text/csv; charset=utf-8")
    return _attachment(response, f"statistics-{access.table.code}-{period.slug()}.csv")


# --- Public aggregate report ---------------------------------------------------------------------


@table_view(Capability.EXPORT)
def public_report(request, access):
    form = range_form(request.GET)
    period = form.resolve()
    report = build_public_report(access, period) if period else None
    context = {
        "access": access,
        "form": form,
        "report": report,
        "query": report.period.as_query() if report else "",
    }
    return render(request, "reports/public_report.html", context, status=200 if report else 400)


@table_view(Capability.EXPORT)
def public_report_pdf(request, access):
    form = range_form(request.GET)
    period = form.resolve()
    if period is None:
        return _invalid_range(form)
    report = build_public_report(access, period)
    pdf = render_pdf("reports/public_report_pdf.html", {"report": report}, request=request)
    _log(request, access, "public_report", start=report.period.start, end=report.period.end)
    response = HttpResponse(pdf, content_type="application/pdf")
    return _attachment(response, f"report-{access.table.code}-{report.period.slug()}.pdf")
