"""HTTP helpers shared by every app."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, default: str, *, prefix: str = "/") -> str:
    """The ``next`` target of a request (POST first, then GET) when it is a path on this site
    under ``prefix``; otherwise ``default``. The one guard against open redirects: an absolute
    URL to another host (``https://evil.example/``), a scheme-relative one (``//evil.example``)
    or a backslash trick (``/\\evil.example``) never passes."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith(prefix)
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def streamed(request, chunks, *, batch: int = 200):
    """``chunks`` (a sync iterator, e.g. CSV lines read from the database) in the form the
    server streams: as is under WSGI; under ASGI (gunicorn's uvicorn workers) as an async
    iterator that pulls ``batch`` chunks at a time on Django's sync thread, so a large export
    starts at once and never sits whole in memory (Django buffers a sync iterator under ASGI)."""
    from django.core.handlers.asgi import ASGIRequest

    if not isinstance(request, ASGIRequest):
        return chunks
    from itertools import islice

    from asgiref.sync import sync_to_async

    iterator = iter(chunks)
    take = sync_to_async(lambda: list(islice(iterator, batch)), thread_sensitive=True)

    async def pump():
        while part := await take():
            for chunk in part:
                yield chunk

    return pump()
