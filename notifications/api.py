"""The signed-in user's own notifications: read-only, plus read marks.

A thin wrapper over ``notifications.selectors`` and ``notifications.services`` (another person's
notification answers 404, as on the Notifications page). It lives here because the API's
user-scoped endpoints (tables, tokens) do; it can move to ``notifications/api/`` unchanged.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.schema import responses

from . import selectors, services
from .models import Kind, Notification


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField(read_only=True, help_text="In the request's language.")
    url = serializers.CharField(
        source="target_url", read_only=True, help_text="The page it is about."
    )
    table = serializers.IntegerField(source="table_id", read_only=True)
    unread = serializers.BooleanField(source="is_unread", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "url", "table", "object_id", "due_at", "created_at"]
        fields += ["read_at", "unread"]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = django_filters.ChoiceFilter(choices=Kind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Your notifications, unread first"),
    retrieve=extend_schema(summary="One of your notifications"),
)
@extend_schema(tags=["notifications"])
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset
    lookup_url_kwarg = "notification_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.notification_list(self.request.user)

    def get_object(self):
        return selectors.get_notification(self.request.user, self.kwargs["notification_id"])

    @extend_schema(
        summary="Mark one of your notifications as read",
        request=None,
        responses=responses({200: NotificationSerializer}),
    )
    @action(detail=True, methods=["post"])
    def read(self, request, notification_id=None):
        notification = services.mark_read(actor=request.user, notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all your notifications as read",
        request=None,
        responses=responses({200: ReadAllSerializer}),
    )
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request):
        return Response({"marked_read": services.mark_all_read(actor=request.user)})
