"""The live meeting's WebSocket (DESIGN §2b): a follower's screen learns that the meeting moved.

``/ws/tables/<table>/meetings/<meeting>/`` accepts a signed-in member who may open the meeting's
pages (the same checks as ``table_view``: active membership, the agreement, the second factor,
the idle timeout). On connect it sends the meeting's current version, so a screen that was offline
catches up at once; afterwards every change sends ``{"version": V}``. No situation data ever
travels here: the screen fetches its own fragment over HTTP.
"""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from agencies.permissions import Capability, agreement_required, table_access
from agencies.signals import LAST_ACTIVITY_KEY
from agencies.two_factor import two_factor_required

from . import live
from .models import Meeting

# Close codes (4000-4999 are the application's): the page stops reconnecting and reloads.
FORBIDDEN = 4403


def _second_factor_done(user, session) -> bool:
    if not settings.OTP_ENFORCED or not two_factor_required(user):
        return True
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    device = Device.from_persistent_id(session.get(DEVICE_ID_SESSION_KEY) or "")
    return device is not None and device.user_id == user.pk


def _still_active(session) -> bool:
    timeout = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    last = session.get(LAST_ACTIVITY_KEY)
    return timeout <= 0 or (isinstance(last, int) and time.time() - last <= timeout)


def follow_version(user, session, table_id: int, meeting_id: int) -> int | None:
    """The meeting's version if ``user`` may follow it, else None."""
    if not user.is_authenticated or session is None:
        return None
    if not (_still_active(session) and _second_factor_done(user, session)):
        return None
    access = table_access(user, table_id)
    if access is None or not access.can(Capability.VIEW_SITUATIONS) or agreement_required(access):
        return None
    return (
        Meeting.objects.filter(pk=meeting_id, table_id=access.table.pk)
        .values_list("version", flat=True)
        .first()
    )


class MeetingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        self.group = live.group_name(kwargs["meeting_id"])
        version = await database_sync_to_async(follow_version)(
            self.scope.get("user"),
            self.scope.get("session"),
            int(kwargs["table_id"]),
            int(kwargs["meeting_id"]),
        )
        if version is None:
            await self.close(code=FORBIDDEN)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"version": version})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Followers only listen; a ping gets a pong so the page can tell a dead socket."""
        if content == "ping" or (isinstance(content, dict) and content.get("ping")):
            await self.send_json({"pong": True})

    async def meeting_changed(self, event):
        await self.send_json({"version": event["version"]})
