"""The live meeting's push (DESIGN §2b): "meeting M changed, version V", nothing more.

Every service that changes a meeting, or a situation the meeting is showing, calls
:func:`meeting_changed` inside its transaction: the meeting's ``version`` goes up in the same
transaction, and once it commits the new version is sent to the meeting's channel group. Each
follower's screen then fetches its own fragment over HTTP with its own session, so the visibility
policy decides what each agency sees; the push itself carries no situation data.

The push is best effort. When the channel layer (Redis) is down the version is still raised in
the database, and followers that poll ``follow/state/`` (the fallback) catch up.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from .models import Meeting

logger = logging.getLogger(__name__)
PUSH_TIMEOUT_SECONDS = 1.0


def group_name(meeting_id: int) -> str:
    return f"meeting-{int(meeting_id)}"


def meeting_changed(*meeting_ids: int, situation=None) -> None:
    """Raise the version of ``meeting_ids`` — and of every open meeting whose current item is
    ``situation`` — and push the new versions after the transaction commits."""
    ids = {int(pk) for pk in meeting_ids if pk}
    if situation is not None and situation.pk:
        ids |= set(
            Meeting.objects.filter(
                current_item__situation_id=situation.pk, closed_at__isnull=True
            ).values_list("pk", flat=True)
        )
    if not ids:
        return
    Meeting.objects.filter(pk__in=ids).update(version=F("version") + 1)
    transaction.on_commit(lambda: push(*sorted(ids)))


def push(*meeting_ids: int) -> None:
    versions = dict(Meeting.objects.filter(pk__in=meeting_ids).values_list("pk", "version"))
    layer = get_channel_layer()
    if layer is None:
        return
    for pk, version in versions.items():
        try:
            async_to_sync(_send)(layer, group_name(pk), version)
        except Exception:  # noqa: BLE001 - Redis down or hanging: followers fall back to polling
            logger.warning("live meeting push failed for meeting %s", pk)


async def _send(layer, group: str, version: int) -> None:
    # A Redis that hangs must not hang the request that made the change.
    await asyncio.wait_for(
        layer.group_send(group, {"type": "meeting.changed", "version": version}),
        timeout=PUSH_TIMEOUT_SECONDS,
    )
