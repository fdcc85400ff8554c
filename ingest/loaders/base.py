"""Shared loader contract: one Loader class per format, one document model.

The registry in ``ingest.loaders`` lists the Loader classes; every suffix list (what ``citeqa
ingest`` discovers, what the library accepts as an upload) is derived from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from citeqa.errors import LoadError
from citeqa.models import Document
from citeqa.settings import IngestSettings

__all__ = ["LoadError", "Loader"]


class Loader:
    """Parses one file into one or more Documents (BEIR corpora and PubMed sets yield many).

    ``suffixes``: the file suffixes it reads (lower case, with the dot). ``name``: the format
    named in messages. ``uploadable``: offered for upload in the library. ``sniff`` claims a
    file by its content whatever its name (PDF magic); ``load`` raises LoadError."""

    name: ClassVar[str] = ""
    suffixes: ClassVar[tuple[str, ...]] = ()
    uploadable: ClassVar[bool] = True

    @classmethod
    def sniff(cls, data: bytes) -> bool:
        """True when ``data`` is certainly this format, whatever the file is called."""
        return False

    def load(self, path: Path, data: bytes, settings: IngestSettings) -> Iterable[Document]:
        raise NotImplementedError
