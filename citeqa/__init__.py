"""citeqa core: settings, stage data types, the Answer schema, errors and the domain profile.

Every other package may import this one; it imports none of them (tests/test_dependencies.py)."""
