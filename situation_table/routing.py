"""The ASGI router: Django's pages and API over HTTP, the live meeting over WebSocket (Django
Channels). ``asgi`` (servers) and ``local_asgi`` (runserver) serve it."""

from django.core.asgi import get_asgi_application

# Django first: the WebSocket routes import models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from cases.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # Same-origin WebSockets only (a page on another site cannot ride the session cookie),
        # with the session and user of the signed-in member.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
