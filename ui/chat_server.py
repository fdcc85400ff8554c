"""The chat's server: ``streamlit run ui/chat_server.py`` (what ``citeqa ui`` runs).

It serves the Streamlit app ``ui/app.py`` (``st.App``) plus two things of its own:

- a per-browser cookie ``citeqa_browser`` (random, HttpOnly, SameSite=Strict), set on the first
  page load: conversations are stored under its hash and listed only to that browser;
- ``/citeqa/source/{doc_id}``: the indexed PDF of a document, so that a citation opens at its
  page (``#page=N``, the browser's own PDF viewer). Only files the index's manifest names for
  that document are served, only PDFs, never a path taken from the request.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run ui/chat_server.py` puts ui/ on sys.path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import FileResponse, PlainTextResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

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


app = st.App(
    "app.py",
    routes=[Route("/citeqa/source/{doc_id:path}", source_file)],
    middleware=[Middleware(BrowserCookie)],
)
