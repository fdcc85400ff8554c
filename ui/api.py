"""The HTTP API: `citeqa serve` (FastAPI + uvicorn).

POST /v1/ask (JSON or ``?stream=true`` server-sent events), POST /v1/chat/completions
(OpenAI-compatible, streaming or not), GET /v1/models, GET /v1/documents, GET /healthz, /docs.

One process holds one shared Pipeline (models have their own locks). Blocking work runs in the
threadpool, never on the event loop. Models and index load in a background thread at startup;
/healthz answers 503 until they are ready. When the vector store fails, the pipeline is dropped
and rebuilt by the next request, so the service recovers by itself once the store is back.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Query, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from citeqa.errors import StoreError
from citeqa.settings import Settings
from rag.pipeline import Pipeline
from ui.api_models import (
    ERRORS,
    MODEL_ID,
    AnswerOut,
    ApiError,
    AskRequest,
    ChatRequest,
    ErrorOut,
    ModelCard,
    ModelList,
    chat_inputs,
    completion_json,
    error_json,
    model_card,
    validation_message,
)
from ui.api_service import BodyLimit, Service, ask_events, chat_events, event_stream

log = logging.getLogger("citeqa.api")


def _install_handlers(app: FastAPI) -> None:
    """Every error is an OpenAI-style body ``{"error": {"message", "type", "code"}}``."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 503:
            headers = {"Retry-After": "5"}
        return JSONResponse(error_json(exc.message, exc.status, exc.code), exc.status, headers)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(error_json(str(exc.detail), exc.status_code), exc.status_code)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("internal error", exc_info=exc)
        return JSONResponse(error_json("internal server error", 500, "internal"), 500)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, message = validation_message(list(exc.errors()))
        return JSONResponse(error_json(message, status, "invalid_request"), status)


def _auth(settings: Settings) -> Callable[..., None]:
    key = settings.api_key.get_secret_value()
    bearer = HTTPBearer(auto_error=False, description="Required when CITEQA_API_KEY is set.")

    def require_key(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if not key:
            return
        if creds is None:
            raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'", "no_key")
        if not secrets.compare_digest(creds.credentials.encode(), key.encode()):
            raise ApiError(401, "invalid API key", "invalid_api_key")

    return require_key


def _check_lengths(settings: Settings, question: str, history: list[str]) -> None:
    limit = settings.server.max_question_chars
    if len(question) > limit:
        raise ApiError(422, f"the question is longer than {limit} characters", "too_long")
    if any(len(h) > limit for h in history):
        raise ApiError(422, f"a history item is longer than {limit} characters", "too_long")


def create_app(settings: Settings, loader: Callable[[Settings], Pipeline] | None = None) -> FastAPI:
    """The FastAPI app. ``loader`` builds the pipeline (default rag.pipeline.build_pipeline)."""
    service = Service(settings, loader)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        yield
        service.stop()

    app = FastAPI(
        title="citeqa API",
        version="0.1.0",
        description="Literature-grounded answers with numbered citations about childhood B-ALL "
        "and blinatumomab. Answers are general information from published studies, not advice.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(BodyLimit, max_bytes=settings.server.max_body_bytes)
    _install_handlers(app)
    auth = [Depends(_auth(settings))]
    _health_route(app, service)
    _ask_route(app, service, settings, auth)
    _chat_route(app, service, settings, auth)
    _index_routes(app, service, auth)
    _limit_openapi(app, settings)
    return app


def _health_route(app: FastAPI, service: Service) -> None:
    @app.get("/healthz", tags=["service"], responses={503: ERRORS[503]})
    def healthz() -> JSONResponse:
        """200 once models and index are loaded and the store answers; 503 before."""
        try:
            return JSONResponse(service.health())
        except ApiError as exc:
            body = {"status": exc.code or "unavailable", "error": exc.message}
            return JSONResponse(body, 503, {"Retry-After": "5"})


def _ask_route(
    app: FastAPI, service: Service, settings: Settings, auth: list[params.Depends]
) -> None:
    @app.post(
        "/v1/ask",
        tags=["answers"],
        dependencies=auth,
        response_model=AnswerOut,
        responses={
            **ERRORS,
            200: {
                "description": "The answer (JSON), or with stream=true server-sent events: "
                "`token` {text} (drafts), `answer` (the final answer object), `done`.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
        },
    )
    async def ask(request: Request, body: AskRequest, stream: bool = Query(False)) -> Response:
        """Answer a question from the indexed literature, with numbered citations."""
        _check_lengths(settings, body.question, body.history)
        filters = body.filters.to_filters() if body.filters else None
        args = (body.question, body.audience, body.history, filters)
        pipeline = await run_in_threadpool(service.get)
        service.admission.check()
        if stream:
            return event_stream(ask_events(service, request, pipeline, args))
        async with service.admission.slot(request):
            ans = await run_in_threadpool(service.answer, pipeline, *args)
        return JSONResponse(ans.to_json())


def _chat_route(
    app: FastAPI, service: Service, settings: Settings, auth: list[params.Depends]
) -> None:
    @app.post(
        "/v1/chat/completions",
        tags=["openai"],
        dependencies=auth,
        responses={**ERRORS, 404: {"model": ErrorOut, "description": "Unknown model"}},
    )
    async def chat(request: Request, body: ChatRequest) -> Response:
        """OpenAI-compatible chat completion (model `citeqa`); extra fields `citations`, `citeqa`."""
        if body.model != MODEL_ID:
            raise ApiError(404, f"unknown model {body.model!r}; this server has 'citeqa'", "model")
        try:
            question, history, audience = chat_inputs(body)
        except ValueError as exc:
            raise ApiError(422, str(exc), "invalid_request") from exc
        _check_lengths(settings, question, history)
        filters = body.filters.to_filters() if body.filters else None
        args = (question, audience, history, filters)
        pipeline = await run_in_threadpool(service.get)
        service.admission.check()
        if body.stream:
            usage = bool((body.stream_options or {}).get("include_usage"))
            return event_stream(chat_events(service, request, pipeline, args, usage))
        async with service.admission.slot(request):
            ans = await run_in_threadpool(service.answer, pipeline, *args)
        return JSONResponse(completion_json(ans, question, history))


def _index_routes(app: FastAPI, service: Service, auth: list[params.Depends]) -> None:
    """/v1/models (the OpenAI-compatible model list) and /v1/documents."""

    @app.get("/v1/models", tags=["openai"], dependencies=auth, response_model=ModelList)
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [model_card()]}

    @app.get("/v1/models/{model_id}", tags=["openai"], dependencies=auth, response_model=ModelCard)
    def model(model_id: str) -> dict[str, Any]:
        if model_id != MODEL_ID:
            raise ApiError(404, f"unknown model {model_id!r}; this server has 'citeqa'", "model")
        return model_card()

    @app.get("/v1/documents", tags=["index"], dependencies=auth, responses=ERRORS)
    def documents() -> dict[str, Any]:
        """Indexed documents with their chunk counts, and index totals."""
        pipe = service.get()
        try:
            return {"documents": pipe.documents(), "stats": pipe.stats()}
        except StoreError as exc:
            raise ApiError(
                503, f"the vector store is unavailable: {exc}", "store_unavailable"
            ) from exc


def _limit_openapi(app: FastAPI, settings: Settings) -> None:
    """Show the configured question length limit in the OpenAPI schema."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            props = schema["components"]["schemas"]["AskRequest"]["properties"]
            props["question"]["maxLength"] = settings.server.max_question_chars
            props["history"]["items"]["maxLength"] = settings.server.max_question_chars
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def run_server(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve the API with uvicorn (one process; scale out with more processes and a Chroma
    server shared through CITEQA_CHROMA_URL)."""
    import uvicorn

    host = host or settings.server.host
    port = port or settings.server.port
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_key.get_secret_value():
        log.warning("serving on %s without an API key: set CITEQA_API_KEY", host)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=5,
        server_header=False,
    )
