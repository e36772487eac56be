"""``fcnr report RESULTS/DS --out report.html``: the dataset's self-contained HTML report."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the report options to ``parser``."""
    parser.add_argument("root", metavar="RESULTS_DS", help="the dataset's results folder, e.g. results/vortex")
    parser.add_argument("--out", required=True, help="HTML file to write")


def run(args: argparse.Namespace) -> int:
    """Writes the report; returns 0."""
    import sys
    from pathlib import Path

    from fcnr.report.build import build_report
    from render.basics.atomic import write_text
    from render.basics.errors import FCNRError

    if not Path(args.root).is_dir():
        raise FCNRError(f"{args.root}: no such results folder; run the workflow first")
    page, failed = build_report(args.root)
    write_text(args.out, page)
    print(f"wrote {args.out} ({len(page) / 1e6:.2f} MB)")
    for title in failed:
        print(f"fcnr report: warning: section {title!r} failed; its error is shown in the report", file=sys.stderr)
    return 0
