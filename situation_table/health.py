"""``/healthz``: is the database reachable, and the broker (when one is configured)?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "down"; details stay out of the response
        return "down"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "eager"  # no broker configured: tasks run in-process
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception:  # noqa: BLE001
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    database = _database_status()
    broker = _broker_status()
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "error", "database": database, "broker": broker}
    if database == "ok":
        # Unsent notifications past their attempt cap: an operator should look (admin filter).
        from notifications.services import abandoned_notifications

        body["notifications_abandoned"] = abandoned_notifications().count()
    return JsonResponse(body, status=status)
