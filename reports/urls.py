from django.urls import path

from . import views

# Mounted under tables/<id:table_id>/reports/.
urlpatterns = [
    path("", views.exports_index, name="reports-exports"),
    path("rtd.csv", views.rtd_csv, name="reports-rtd-csv"),
    path("statistics/", views.statistics_dashboard, name="reports-statistics"),
    path("statistics.csv", views.statistics_csv, name="reports-statistics-csv"),
    path("public/", views.public_report, name="reports-public"),
    path("public.pdf", views.public_report_pdf, name="reports-public-pdf"),
    path(
        "meetings/<id:meeting_id>/summary.pdf",
        views.meeting_summary_pdf,
        name="reports-meeting-summary-pdf",
    ),
    path(
        "meetings/<id:meeting_id>/summary.csv",
        views.meeting_summary_csv,
        name="reports-meeting-summary-csv",
    ),
]
