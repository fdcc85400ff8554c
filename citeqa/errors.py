"""One error hierarchy: every error citeqa raises on purpose carries a hint for the user.

``CiteqaError`` is the base; each area subclasses it. The HTTP API maps classes to status codes
(``ui/api.py``), the CLI prints ``message`` and ``hint`` and exits 2 (1 for a partly failed
ingest). ``http_status`` is the class's default status code.
"""

from __future__ import annotations

from pathlib import Path


class CiteqaError(Exception):
    """Base class. ``hint``: one sentence on what the user can do about it."""

    http_status = 500
    default_hint = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        return self.message


class ConfigError(CiteqaError, ValueError):
    """A setting or a domain profile that is invalid (unknown variable, bad value)."""

    http_status = 500
    default_hint = "Run `citeqa config` to see every setting and its meaning."


class LoadError(CiteqaError):
    """A file that cannot be ingested. ``reason`` is a short, specific, human message."""

    http_status = 422
    default_hint = "The other files are indexed; fix or remove this one and ingest again."

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class StoreError(CiteqaError, RuntimeError):
    """The vector store cannot be opened, read or written (server down, disk full...)."""

    http_status = 503
    default_hint = "Check that the index directory is writable or the Chroma server is running."


class EmptyIndexError(StoreError):
    """The index holds no documents yet."""

    http_status = 503
    default_hint = "Run `citeqa ingest corpus` first."


class InputError(CiteqaError, ValueError):
    """A request that cannot be answered as given (bad audience, empty or too long question)."""

    http_status = 422


class UploadError(InputError):
    """An uploaded file that is refused before parsing (type, size, name)."""

    http_status = 422


class QuestionFileError(InputError):
    """A question file for the benchmark that cannot be read."""
