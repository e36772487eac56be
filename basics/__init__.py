"""What ``render`` and ``fcnr`` both stand on: the user-facing error, atomic writes, schema validation.

It imports neither package, so ``fcnr`` imports ``render`` and never the other way round.
"""
