"""Parts of tools/benchmark.py."""
