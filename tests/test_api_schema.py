"""Property-based API tests from the OpenAPI spec (schemathesis) against a live `citeqa serve`.

Every generated request, valid or invalid by the schema, must get a non-5xx answer. Bounded:
25 examples per operation and mode, no deadline. (Hypothesis strategies from the schema, not
`schemathesis.pytest.from_fixture`, which breaks on pytest 9: it reads `node._nodeid`.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api_server import api_server, server_env, write_api_docs
from tests.helpers import citeqa


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("api-schema")
    write_api_docs(root / "docs")
    res = citeqa("ingest", str(root / "docs"), "--index", str(root / "data" / "index"))
    assert res.returncode == 0, res.stderr
    with api_server(server_env(root / "data"), root / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_url}/openapi.json")


OPERATIONS = [
    ("/healthz", "GET"),
    ("/v1/ask", "POST"),
    ("/v1/chat/completions", "POST"),
    ("/v1/models", "GET"),
    ("/v1/models/{model_id}", "GET"),
    ("/v1/documents", "GET"),
]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# negative cases exist only where there is input to break (a body or a path parameter)
CASES = [(p, m, POSITIVE) for p, m in OPERATIONS] + [
    (p, m, NEGATIVE) for p, m in OPERATIONS if m == "POST" or "{" in p
]


def test_every_operation_is_covered(api_schema: Any) -> None:
    listed = {
        (p, m.upper()) for p, methods in api_schema.raw_schema["paths"].items() for m in methods
    }
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize(
    ("path", "method", "mode"), CASES, ids=lambda v: str(getattr(v, "value", v))
)
def test_no_server_errors(api_schema: Any, path: str, method: str, mode: Any) -> None:
    """25 generated requests (valid or invalid by the schema): none may get a 5xx."""
    strategy = api_schema[path][method].as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=[not_a_server_error], timeout=120)

    run()
