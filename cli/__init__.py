"""citeqa command line: `citeqa ingest|ask|serve|ui|eval|bench|config|feedback`."""
