from functools import cache

from .selectors import unread_count


def unread_notifications(request):
    """``unread_notifications`` for the top bar: one COUNT query, run only when a template uses it
    (htmx partials never do). Templates call callables, so the count is computed on first use and
    cached for the rest of the render."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": cache(lambda: unread_count(user))}
