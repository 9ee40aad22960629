"""Benchmark harness: every figure is reported as a ratio to a floor measured in the same run (see README.md)."""
