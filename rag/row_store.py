"""The serving host's own copy of the indexed chunks, by row number (rag/host_index.py).

Rows are only ever added (a chunk taken out of the index keeps its row; the index's state says
which rows are live), so a reader of an older state still finds its rows. On disk the rows are
a SQLite table (WAL mode: one writer, readers never blocked), each chunk as the store keeps it
(text and flat metadata, ``Chunk.to_store_metadata``); in memory (no directory: the memory
store) a list of the chunks themselves. Recently read chunks are kept (rows never change).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from citeqa.models import Chunk

_KEPT = 16384  # chunks kept after reading (about 5 kB each)
_FILTER_COLS = ("doc_type", "year", "trial", "audience")


class RowStore:
    """Chunks by row number: in ``path`` (SQLite), or in memory when ``path`` is None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mem: dict[int, Chunk] = {}
        self._kept: OrderedDict[int, Chunk] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS rows (row INTEGER PRIMARY KEY, chunk_id TEXT, "
                "text TEXT, md TEXT, doc_type TEXT, year INTEGER, trial TEXT, audience TEXT)"
            )
            self._db = db

    def put(self, rows: Sequence[int], chunks: Sequence[Chunk]) -> None:
        """Store ``chunks`` at ``rows`` (a row left by an interrupted update is overwritten)."""
        if self._db is None:
            with self._lock:
                self._mem.update(zip(rows, chunks, strict=True))
            return
        data = []
        for r, c in zip(rows, chunks, strict=True):
            m = c.meta
            md = json.dumps(c.to_store_metadata())
            data.append((r, c.chunk_id, c.text, md, m.doc_type, m.year, m.trial, m.audience))
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO rows VALUES (?,?,?,?,?,?,?,?)", data)
            self._db.execute("COMMIT")

    def get(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks at ``rows``, in that order (KeyError for a row never stored)."""
        if self._db is None:
            return [self._mem[r] for r in rows]
        with self._lock:
            found = {r: self._kept[r] for r in rows if r in self._kept}
            for r in found:
                self._kept.move_to_end(r)
        missing = [r for r in dict.fromkeys(rows) if r not in found]
        for i in range(0, len(missing), 500):
            part = missing[i : i + 500]
            q = f"SELECT row, chunk_id, text, md FROM rows WHERE row IN ({','.join('?' * len(part))})"
            with self._lock:
                got = self._db.execute(q, part).fetchall()
            for r, cid, text, md in got:
                found[r] = Chunk.from_store(cid, text, json.loads(md))
        with self._lock:
            for r in missing:
                if r in found:
                    self._kept[r] = found[r]
            while len(self._kept) > _KEPT:
                self._kept.popitem(last=False)
        return [found[r] for r in rows]

    def rows_of_type(self, rows: Sequence[int], doc_type: str) -> list[int]:
        """Those of ``rows`` whose document is of ``doc_type``."""
        if self._db is None:
            return [r for r in rows if self._mem[r].meta.doc_type == doc_type]
        with self._lock:
            got = self._db.execute("SELECT row FROM rows WHERE doc_type = ?", (doc_type,))
            typed = {r for (r,) in got.fetchall()}
        return [r for r in rows if r in typed]

    def filter_columns(self, n_rows: int) -> list[dict[str, Any]]:
        """``doc_type``, ``year``, ``trial``, ``audience`` of rows 0 .. n_rows-1 (what
        :class:`~citeqa.models.Filters` reads)."""
        if self._db is None:
            metas = [self._mem[r].meta if r in self._mem else None for r in range(n_rows)]
            return [{k: getattr(m, k) for k in _FILTER_COLS} if m else {} for m in metas]
        out: list[dict[str, Any]] = [{} for _ in range(n_rows)]
        with self._lock:
            got = self._db.execute(
                f"SELECT row, {', '.join(_FILTER_COLS)} FROM rows WHERE row < ?", (n_rows,)
            ).fetchall()
        for r, *vals in got:
            out[r] = dict(zip(_FILTER_COLS, vals, strict=True))
        return out

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
