"""Handing a stored token over: the variables (variables.py) and their shell syntax
(shells.py) for `env`, one command with them (execute.py), and uploads through twine
(upload.py, which reads project names from the files with distmeta.py and quickzip.py)."""
