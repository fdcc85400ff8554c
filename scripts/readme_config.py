"""Regenerate the README configuration table from `citeqa config --markdown` (Settings)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citeqa.settings import settings_markdown  # noqa: E402


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index("| variable | default | meaning |")
    end = text.index("\n\n", start)
    readme.write_text(text[:start] + settings_markdown() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
