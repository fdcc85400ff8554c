"""citeqa test suite (no network beyond loopback; real models, Chroma and browser)."""
