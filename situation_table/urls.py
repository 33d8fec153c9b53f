from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from agencies import urls as agency_urls
from agencies import views as agency_views

from .health import healthz

urlpatterns = [
    path("", agency_views.home, name="home"),
    path("tables/<id:table_id>/", include(agency_urls.table_urlpatterns)),
    path("tables/<id:table_id>/", include("cases.urls")),
    path("tables/<id:table_id>/", include("consent.urls")),
    path("tables/<id:table_id>/reports/", include("reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("accounts/login/", agency_views.SignInView.as_view(), name="login"),
    path("accounts/password_reset/", agency_views.password_reset_request, name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        agency_views.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include(agency_urls.account_urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include(agency_urls.invitation_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("situation_table.api")),
]

if settings.BENCH_CONSTANT_VIEW:
    # The benchmarks' baseline (``make bench``): the full middleware stack, no view work.
    _CONSTANT_PAGE = b"<!doctype html><title>constant</title><p>Situation Table benchmark.</p>"

    def bench_constant(request):
        return HttpResponse(_CONSTANT_PAGE)

    urlpatterns.append(path("__bench__/constant/", bench_constant, name="bench-constant"))

# Styled bilingual pages for people, the API's JSON shape under /api/; a database outage is a 503.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
