"""Benchmarks printed as plain-text figures: run them with `python -m bench [name ...]`."""
