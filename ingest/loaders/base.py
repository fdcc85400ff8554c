"""Shared loader contract: one module per format, one document model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from citeqa.errors import LoadError
from citeqa.models import Document

__all__ = ["LoadError", "Loader"]


class Loader(Protocol):
    """Parses one file into one or more Documents (BEIR corpora yield many)."""

    suffixes: tuple[str, ...]

    def load(self, path: Path, data: bytes) -> Iterator[Document]: ...
