"""The per-dataset HTML report: one self-contained page built from composable sections.

Each module in :mod:`fcnr.report.sections` is one section (``TITLE``, ``ORDER``,
``render(ctx) -> str | None``); :func:`fcnr.report.build.build_report` assembles them.
"""
