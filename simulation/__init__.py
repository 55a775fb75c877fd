"""Simulated couples for demos, benchmarks and tests: tools that write through the
models, never part of a request."""
