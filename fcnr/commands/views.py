"""``fcnr views``: write the geodesic icosphere views as CSV."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the views options to ``parser``."""
    parser.add_argument("--frequency", type=int, default=9,
                        help="icosphere frequency f: 10 f^2 + 2 views (default 9: 812 views)")
    parser.add_argument("--out", required=True, help="CSV file to write (index,theta,phi,x,y,z)")


def run(args: argparse.Namespace) -> int:
    """Writes the views CSV; returns 0."""
    from render.views import icosphere_views, write_views

    views = icosphere_views(args.frequency)
    write_views(views, args.out)
    print(f"wrote {len(views)} views (frequency {args.frequency}) to {args.out}")
    return 0
