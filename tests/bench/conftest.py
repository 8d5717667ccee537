"""The benchmark is run by hand (python tests/bench/bench.py), never collected as tests."""

collect_ignore = ["bench.py"]
