"""A real llama.cpp server (xllamacpp) on 127.0.0.1 for the LLM tests.

Started directly with xllamacpp, the way a user would run ``llama-server``, so the tests can
reach it through the ordinary ``openai`` provider code.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from tests.helpers import wait_http


class LlamaServer:
    """Serve ``gguf`` on 127.0.0.1 and a free port; ``stop()`` shuts it down."""

    def __init__(
        self, gguf: Path, n_ctx: int = 2048, threads: int = 2, timeout: float = 60
    ) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        params.n_ctx = n_ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.warmup = False
        params.verbosity = 0
        params.sampling.seed = 1234
        self._server: Any = xllamacpp.Server(params)
        self.address = str(self._server.listening_address).rstrip("/")
        assert self.address.startswith("http://127.0.0.1:"), self.address
        wait_http(self.address + "/health", timeout=timeout)  # bounded readiness wait

    @property
    def base_url(self) -> str:
        return self.address + "/v1"

    def stop(self) -> None:
        self._server = None  # xllamacpp stops the HTTP server when the object is released
        gc.collect()
