"""WebSocket routes of the cases app (wired in ``situation_table.asgi``)."""

from django.urls import path

from .consumers import MeetingConsumer

websocket_urlpatterns = [
    path(
        "ws/tables/<int:table_id>/meetings/<int:meeting_id>/",
        MeetingConsumer.as_asgi(),
        name="ws-meeting",
    ),
]
