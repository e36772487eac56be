"""What every layer stands on: the user-facing error, atomic writes, schema validation.

The bottom of ``render`` (which imports nothing of ``fcnr``): these modules import no other part of
``render`` either, so ``fcnr`` imports ``render`` and never the other way round.
"""
