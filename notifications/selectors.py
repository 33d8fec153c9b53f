"""Reads, scoped to the person asking: a user only ever sees their own notifications."""

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404

from .models import Notification, NotificationPreference


def notifications_for(user):
    """The user's notifications; cancelled ones (no longer true when due) are not shown."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, cancelled_at__isnull=True)


def notification_list(user):
    """Unread first, then newest first."""
    return (
        notifications_for(user)
        .select_related("table")
        .annotate(unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
        .order_by("-unread", "-created_at", "-id")
    )


def unread_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def get_notification(user, notification_id) -> Notification:
    """The user's own notification, or 404 (for anyone else's, so nobody learns it exists)."""
    try:
        return notifications_for(user).get(pk=int(notification_id))
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def preference_for(user) -> NotificationPreference:
    """The saved preference, or the defaults (digest on, site language) if none is saved."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user)
