"""The chat server's own HTTP parts (used by ``ui/chat_server.py``):

- ``BrowserCookie``: gives a browser without one a random ``citeqa_browser`` cookie (HttpOnly,
  SameSite=Strict) on its first page load; conversations are stored under its hash and listed
  only to that browser (``ui.sessions``);
- ``/citeqa/source/{doc_id}``: the indexed PDF of a document, so that a citation opens at its page
  (``#page=N`` in the browser's own PDF viewer). Only a file the index's manifest names for that
  document is served, only a PDF, never a path taken from the request.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

COOKIE = "citeqa_browser"
COOKIE_MAX_AGE_S = 400 * 86400  # the longest browsers keep a cookie
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def has_cookie(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"cookie" and f"{COOKIE}=".encode() in value:
            return True
    return False


class BrowserCookie:
    """ASGI middleware: give a browser without a ``citeqa_browser`` cookie a random one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or has_cookie(scope):
            await self.app(scope, receive, send)
            return
        cookie = (
            f"{COOKIE}={secrets.token_urlsafe(32)}; Path=/; HttpOnly; SameSite=Strict; "
            f"Max-Age={COOKIE_MAX_AGE_S}"
        ).encode()

        async def send_with_cookie(message: Message) -> None:
            if message.get("type") == "http.response.start":
                headers = [*message.get("headers", []), (b"set-cookie", cookie)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def pdf_path(doc_id: str) -> Path | None:
    """The indexed PDF file of ``doc_id`` (from the manifest), or None."""
    from ui.components import current_settings, indexed_documents

    for d in indexed_documents(current_settings()):
        if str(d.get("doc_id")) != doc_id:
            continue
        path = Path(str(d.get("path") or ""))
        if path.suffix.lower() == ".pdf" and path.is_file():
            with path.open("rb") as fh:
                if fh.read(4) == b"%PDF":
                    return path
    return None


async def source_file(request: Request) -> Response:
    doc_id = str(request.path_params.get("doc_id", ""))
    path = pdf_path(doc_id)
    if path is None:
        return PlainTextResponse("No PDF is indexed for this document.", status_code=404)
    return FileResponse(
        path,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{path.name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


ROUTES = [Route("/citeqa/source/{doc_id:path}", source_file)]
MIDDLEWARE = [Middleware(BrowserCookie)]
