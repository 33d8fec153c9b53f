from django.contrib import admin
from django.urls import include, path

from agencies import views as agency_views

from .health import healthz

urlpatterns = [
    path("", agency_views.home, name="home"),
    path("tables/<int:table_id>/members/", agency_views.table_detail, name="table-members"),
    path("tables/<int:table_id>/", include("cases.urls")),
    path("tables/<int:table_id>/", include("consent.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
