"""``/docs`` and ``/redoc`` from local files only (docs/ledger.md, "HTTP API").

The pages are FastAPI's own (``get_swagger_ui_html``, ``get_redoc_html``, through fastapi-offline,
which ships the Swagger UI and ReDoc files), pointed at files the backend serves under
:data:`ASSETS`.  Both viewers still name a few images on their makers' hosts (ReDoc's
"API docs by Redocly" logo); a Content-Security-Policy on the two pages keeps the browser from
asking any host but the ledger, so they work with no internet and tell no third party who reads them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

ASSETS = "/docs-assets"
PAGES = frozenset({"/docs", "/redoc"})
# Swagger UI starts from an inline script; ReDoc renders in a worker made from a blob.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'self'"
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LocalOnly:
    """ASGI middleware: the documentation pages may load nothing from another host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the policy header to the answers of :data:`PAGES`."""
        if scope["type"] != "http" or scope.get("path") not in PAGES:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_policy)
