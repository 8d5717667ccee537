"""Finding weak spots: `audit` (audit.py, with the .pypirc checks in pypirc_checks.py and the
repairs of --fix in fix.py, over the shared types in findings.py), `doctor` (where twine would
take its credentials from) and `scan` (tokens in files)."""
