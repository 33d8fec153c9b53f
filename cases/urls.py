from django.urls import path

from . import views

urlpatterns = [
    path("", views.table_overview, name="table-overview"),
    path("taxonomy/", views.taxonomy, name="taxonomy"),
    path("situations/", views.situation_list, name="situation-list"),
    path("situations/new/", views.situation_create, name="situation-create"),
    path("situations/<int:situation_id>/", views.situation_detail, name="situation-detail"),
    path("situations/<int:situation_id>/edit/", views.situation_edit, name="situation-edit"),
    path("situations/<int:situation_id>/attest/", views.situation_attest, name="situation-attest"),
    path(
        "situations/<int:situation_id>/withdraw/",
        views.situation_withdraw,
        name="situation-withdraw",
    ),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="task-complete"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:meeting_id>/edit/", views.meeting_edit, name="meeting-edit"),
    path(
        "meetings/<int:meeting_id>/agenda/",
        views.meeting_agenda_change,
        name="meeting-agenda-change",
    ),
    path(
        "meetings/<int:meeting_id>/attendance/<int:agency_id>/",
        views.meeting_attendance,
        name="meeting-attendance",
    ),
    path("meetings/<int:meeting_id>/mode/", views.meeting_mode, name="meeting-mode"),
    path(
        "meetings/<int:meeting_id>/items/<int:item_id>/<slug:action>/",
        views.meeting_action,
        name="meeting-action",
    ),
]
