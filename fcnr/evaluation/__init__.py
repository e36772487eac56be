"""Scoring decoded images: metrics, per-image evaluation of a run, Bjontegaard deltas."""
