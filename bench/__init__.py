"""Benchmarks: run each from the repository root as a module, ``python -m bench.NAME [options]``.

They import one another as ``bench.NAME`` (``bench.scoring`` codes and scores images for several), so
each is importable; ``tests/test_bench.py`` runs them on tiny inputs.
"""
