"""Shared loader contract: one module per format, one document model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ingest.models import Document


class LoadError(Exception):
    """A file that cannot be ingested. ``reason`` is a short, specific, human message."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class Loader(Protocol):
    """Parses one file into one or more Documents (BEIR corpora yield many)."""

    suffixes: tuple[str, ...]

    def load(self, path: Path, data: bytes) -> Iterator[Document]: ...
