from django.urls import path

from . import views

urlpatterns = [
    path("", views.table_overview, name="table-overview"),
    path("taxonomy/", views.taxonomy, name="taxonomy"),
    path("situations/", views.situation_list, name="situation-list"),
    path("situations/new/", views.situation_create, name="situation-create"),
    path("situations/<id:situation_id>/", views.situation_detail, name="situation-detail"),
    path("situations/<id:situation_id>/edit/", views.situation_edit, name="situation-edit"),
    path("situations/<id:situation_id>/attest/", views.situation_attest, name="situation-attest"),
    path(
        "situations/<id:situation_id>/withdraw/",
        views.situation_withdraw,
        name="situation-withdraw",
    ),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<id:task_id>/complete/", views.task_complete, name="task-complete"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<id:meeting_id>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<id:meeting_id>/edit/", views.meeting_edit, name="meeting-edit"),
    path(
        "meetings/<id:meeting_id>/agenda/",
        views.meeting_agenda_change,
        name="meeting-agenda-change",
    ),
    path(
        "meetings/<id:meeting_id>/attendance/<id:agency_id>/",
        views.meeting_attendance,
        name="meeting-attendance",
    ),
    path("meetings/<id:meeting_id>/mode/", views.meeting_mode, name="meeting-mode"),
    path("meetings/<id:meeting_id>/current/", views.meeting_set_current, name="meeting-current"),
    path("meetings/<id:meeting_id>/follow/", views.meeting_follow, name="meeting-follow"),
    path(
        "meetings/<id:meeting_id>/follow/item/",
        views.meeting_follow_item,
        name="meeting-follow-item",
    ),
    path(
        "meetings/<id:meeting_id>/follow/state/",
        views.meeting_follow_state,
        name="meeting-follow-state",
    ),
    path("meetings/<id:meeting_id>/check-in/", views.meeting_check_in, name="meeting-check-in"),
    path("meetings/<id:meeting_id>/reopen/", views.meeting_reopen, name="meeting-reopen"),
    path(
        "meetings/<id:meeting_id>/items/<id:item_id>/<slug:action>/",
        views.meeting_action,
        name="meeting-action",
    ),
]
