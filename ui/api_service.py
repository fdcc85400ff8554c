"""The serving core of the HTTP API: the shared pipeline with its loading state and
store-failure recovery, the request-body limit, and the server-sent-event streams.

Blocking pipeline work runs in worker threads; tokens reach the event loop through a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citeqa.answer import Answer
from citeqa.errors import CiteqaError, StoreError
from citeqa.models import Filters
from citeqa.settings import Settings
from rag.pipeline import Pipeline, drop_pipeline
from ui.api_models import ApiError, chunk_json, completion_id, error_json, final_chunks, sse

log = logging.getLogger("citeqa.api")


def _default_loader(settings: Settings) -> Pipeline:
    from rag.pipeline import build_pipeline

    return build_pipeline(settings)


class Admission:
    """At most ``active`` answers run at once; the others wait in arrival order (asyncio's
    semaphore is FIFO), at most ``queue`` of them (then 503 busy). A request whose client
    went away while it waited is dropped at its turn instead of being computed for nobody."""

    def __init__(self, active: int, queue: int) -> None:
        self.active, self.queue, self.waiting = active, queue, 0
        self._sem: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._sem is None or self._loop is not loop:
            self._sem, self._loop = asyncio.Semaphore(self.active), loop
        return self._sem

    def check(self) -> None:
        if self.waiting >= self.queue:
            msg = f"the server is busy ({self.waiting} questions waiting); retry shortly"
            raise ApiError(503, msg, "busy")

    @contextlib.asynccontextmanager
    async def slot(self, request: Request) -> AsyncIterator[None]:
        sem = self._semaphore()
        self.waiting += 1
        try:
            await sem.acquire()
        finally:
            self.waiting -= 1
        try:
            if await request.is_disconnected():
                raise ApiError(499, "the client closed the request", "client_gone")
            yield
        finally:
            sem.release()


class Service:
    """The shared pipeline, its loading state, and store-failure handling."""

    def __init__(
        self, settings: Settings, loader: Callable[[Settings], Pipeline] | None = None
    ) -> None:
        self.settings = settings
        srv = settings.server  # max_active/max_queue: optional ServerSettings fields
        self.admission = Admission(srv.max_active, srv.max_queue)
        self._loader = loader or _default_loader
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()
        self._loading = threading.Event()
        self._stop = threading.Event()
        self.error = ""

    def start(self) -> None:
        self._loading.set()
        threading.Thread(target=self._load_loop, name="citeqa-loader", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _load_loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._load()
                    log.info("citeqa API ready")
                    return
                except Exception as exc:
                    self.error = f"models or index could not be loaded: {exc}"
                    log.warning("%s (retrying)", self.error)
                self._stop.wait(2.0)
        finally:
            self._loading.clear()

    def _load(self) -> Pipeline:
        with self._lock:
            if self._pipeline is None:
                p = self._loader(self.settings)
                p.warm_up()  # loads the models, builds BM25
                if self.settings.llm.provider != "none":
                    p.chat_model()
                self._pipeline, self.error = p, ""
            return self._pipeline

    def get(self) -> Pipeline:
        """The ready pipeline; ApiError(503) while loading or when the store is down."""
        p = self._pipeline
        if p is not None:
            return p
        if self._loading.is_set():
            msg = self.error or "the service is starting: models and index are loading"
            raise ApiError(503, msg + "; retry shortly", "loading")
        try:
            return self._load()
        except StoreError as exc:
            self.error = str(exc)
            raise ApiError(
                503, f"the vector store is unavailable: {exc}", "store_unavailable"
            ) from exc
        except Exception as exc:
            self.error = f"models or index could not be loaded: {exc}"
            log.exception("loading failed")
            raise ApiError(503, self.error, "load_failed") from exc

    def drop(self, pipeline: Pipeline) -> None:
        with self._lock:
            if self._pipeline is pipeline:
                self._pipeline = None
                drop_pipeline(self.settings)

    def answer(
        self,
        pipeline: Pipeline,
        question: str,
        audience: str,
        history: list[str],
        filters: Filters | None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Run the pipeline (blocking); store failures become ApiError(503) and drop it."""
        try:
            return pipeline.answer(question, audience, history, filters, on_token)
        except StoreError as exc:
            self.drop(pipeline)
            raise ApiError(
                503, f"the vector store is unavailable: {exc}", "store_unavailable"
            ) from exc
        except CiteqaError as exc:
            raise ApiError(exc.http_status, exc.message, type(exc).__name__) from exc

    def health(self) -> dict[str, Any]:
        p = self.get()
        state = p.health()
        if not state["ok"]:
            self.drop(p)
            raise ApiError(
                503, f"the vector store is unreachable: {state['error']}", "store_unavailable"
            )
        chunks = state["chunks"]
        s = self.settings
        return {
            "status": "ready",
            "chunks": chunks,
            "retrieval": s.retrieval.mode,
            "embedder": s.embedder.name,
            "llm": s.llm.provider,
            "store": "server" if s.chroma_url else "embedded",
        }


class BodyLimit:
    """413 for bodies over ``max_bytes``: checks Content-Length and the bytes actually sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _send_error(scope, send, 400, "invalid Content-Length header")
                return
            if int(length) > self.max_bytes:
                await _send_error(scope, send, 413, self._message())
                return
        body, total = [], 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                return  # client went away
            body.append(msg.get("body", b""))
            total += len(body[-1])
            if total > self.max_bytes:
                await _send_error(scope, send, 413, self._message())
                return
            if not msg.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(body), receive), send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_error(scope: Scope, send: Send, status: int, message: str) -> None:
    await JSONResponse(error_json(message, status), status)(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def bridge(
    service: Service, pipeline: Pipeline, args: tuple[Any, ...], live: bool
) -> AsyncIterator[tuple[str, Any]]:
    """Run the pipeline in a worker thread; yield ("token", str)..., then ("answer", Answer)
    or ("error", ApiError). Tokens cross to the event loop through a queue."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(item: tuple[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            on_token = (lambda t: put(("token", t))) if live else None
            question, audience, history, filters = args
            ans = service.answer(pipeline, question, audience, history, filters, on_token)
            put(("answer", ans))
        except ApiError as exc:
            put(("error", exc))
        except Exception:
            log.exception("answer failed")
            put(("error", ApiError(500, "internal error while answering", "internal")))

    task = asyncio.ensure_future(run_in_threadpool(work))
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    while True:
        kind, item = await queue.get()
        yield kind, item
        if kind != "token":
            return


_BACKGROUND: set[asyncio.Future[None]] = set()
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def ask_events(
    service: Service, request: Request, pipeline: Pipeline, args: tuple[Any, ...]
) -> AsyncIterator[str]:
    async with service.admission.slot(request):
        async for kind, item in bridge(service, pipeline, args, live=True):
            if kind == "token":
                yield sse({"text": item}, "token")
            elif kind == "answer":
                yield sse(item.to_json(), "answer")
            else:
                yield sse(error_json(item.message, item.status, item.code), "error")
    yield sse({}, "done")


async def chat_events(
    service: Service, request: Request, pipeline: Pipeline, args: tuple[Any, ...], usage: bool
) -> AsyncIterator[str]:
    """OpenAI chat.completion.chunk events; the answer text streams without a trailing space."""
    cid, created = completion_id(), int(time.time())
    question, _, history = args[0], args[1], args[2]
    live = service.settings.llm.provider == "none"  # LLM drafts are verified before sending
    yield sse(chunk_json(cid, created, {"role": "assistant", "content": ""}))
    pending, streamed = "", False
    async with service.admission.slot(request):
        async for kind, item in bridge(service, pipeline, args, live=live):
            if kind == "token":
                text = pending + item
                body = text.rstrip()
                pending = text[len(body) :]
                if body:
                    streamed = True
                    yield sse(chunk_json(cid, created, {"content": body}))
            elif kind == "answer":
                if not streamed and item.answer:
                    yield sse(chunk_json(cid, created, {"content": item.answer}))
                for c in final_chunks(item, cid, created, question, history, usage):
                    yield sse(c)
            else:
                yield sse(error_json(item.message, item.status, item.code))
    yield "data: [DONE]\n\n"


def event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
