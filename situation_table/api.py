"""URLs of the REST API (/api/v1/), its OpenAPI schema (/api/schema/) and docs (/api/docs/,
/api/redoc/).

Everything under /api/v1/tables/{table_id}/ answers 404 to non-members of the table, 403 to
members whose role lacks the capability, exactly as the browser pages do (the views are in each
app's ``api`` package). Path ids accept any text so that a malformed id is a JSON 404 from the
view, never Django's HTML page.
"""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from agencies.api.views import AgencyViewSet, MemberTokenViewSet, TableViewSet, TokenViewSet
from cases.api.views import MeetingViewSet, SituationViewSet, TaskViewSet
from consent.api.views import (
    ConsentViewSet,
    DisclosureRevokeViewSet,
    DisclosureViewSet,
    IdentifyingInfoViewSet,
)
from notifications.api import NotificationViewSet
from reports.api import ReportViewSet

TABLE = r"tables/(?P<table_id>[^/]+)"
SITUATION = rf"{TABLE}/situations/(?P<situation_id>[^/]+)"

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="api-token")
router.register("notifications", NotificationViewSet, basename="api-notification")
router.register("tables", TableViewSet, basename="api-table")
router.register(rf"{TABLE}/agencies", AgencyViewSet, basename="api-agency")
router.register(rf"{TABLE}/tokens", MemberTokenViewSet, basename="api-member-token")
router.register(rf"{TABLE}/situations", SituationViewSet, basename="api-situation")
router.register(rf"{SITUATION}/disclosures", DisclosureViewSet, basename="api-disclosure")
router.register(rf"{SITUATION}/consents", ConsentViewSet, basename="api-consent")
router.register(rf"{TABLE}/tasks", TaskViewSet, basename="api-task")
router.register(rf"{TABLE}/meetings", MeetingViewSet, basename="api-meeting")

v1 = [
    *router.urls,
    path(
        "tables/<table_id>/situations/<situation_id>/identifying-info/",
        IdentifyingInfoViewSet.as_view({"post": "record"}),
        name="api-identifying-info",
    ),
    # A POST (CSRF-checked for browser sessions): a cross-site link or image cannot make a
    # signed-in person "view" identifying information and pollute the access log.
    path(
        "tables/<table_id>/situations/<situation_id>/identifying-info/reveal/",
        IdentifyingInfoViewSet.as_view({"post": "reveal"}),
        name="api-identifying-info-reveal",
    ),
    path(
        "tables/<table_id>/disclosures/<disclosure_id>/revoke/",
        DisclosureRevokeViewSet.as_view({"post": "revoke"}),
        name="api-disclosure-revoke",
    ),
    path(
        "tables/<table_id>/statistics/",
        ReportViewSet.as_view({"get": "statistics"}),
        name="api-statistics",
    ),
    path(
        "tables/<table_id>/exports/rtd/",
        ReportViewSet.as_view({"get": "rtd"}),
        name="api-export-rtd",
    ),
    path(
        "tables/<table_id>/exports/meetings/<meeting_id>/summary/",
        ReportViewSet.as_view({"get": "meeting_summary"}),
        name="api-export-meeting-summary",
    ),
]

# The contract is public (it describes no data); the data behind it is not.
urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: the site's CSP forbids inline
        # scripts. Swagger UI and Redoc themselves come from drf-spectacular-sidecar (no CDN).
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-redoc",
    ),
]
