from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("read-all/", views.notification_read_all, name="notification-read-all"),
    path("preferences/", views.notification_preferences, name="notification-preferences"),
    path("<id:notification_id>/open/", views.notification_open, name="notification-open"),
    path("<id:notification_id>/read/", views.notification_read, name="notification-read"),
]
