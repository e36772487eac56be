"""``fcnr rd``: rate-distortion points of FCNR and its baselines on the same images, and BD-rates."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the rd options to ``parser``."""
    parser.add_argument(
        "--learned", nargs=3, action="append", default=[], metavar=("METHOD", "LAMBDA", "RUN_DIR"),
        help="a learned run: variant, its lambda, and its folder in the mode-directory layout "
             "(metrics/t*.csv, timing/, model/); repeat for each",
    )  # fmt: skip
    parser.add_argument(
        "--classical", nargs="+", action="extend", default=[], metavar="SETTING_DIR",
        help="fcnr baseline setting folders (OUT/q{Q} with metrics.csv and timing.json)",
    )  # fmt: skip
    parser.add_argument(
        "--inr", nargs=3, action="append", default=[], metavar=("METHOD", "SIZE", "RUN_DIR"),
        help="an INR run: enerv, hnerv or nervi, its parameter budget and its fcnr inr run folder; repeat for each",
    )  # fmt: skip
    parser.add_argument("--timesteps", type=int, nargs="+", required=True,
                        help="the timesteps every point averages over")
    parser.add_argument("--out", required=True, help="RD points CSV to write (one row per method and setting)")
    parser.add_argument("--bd-out", help="also write the BD-rates of --test against every other method here")
    parser.add_argument("--test", default="fcnr", help="the method compared with each other one (default fcnr)")


def run(args: argparse.Namespace) -> int:
    """Writes the RD table (and the BD table); prints the BD-rates; returns 0."""
    from fcnr.baselines import label
    from fcnr.evaluation.rd import (
        BD_COLUMNS,
        RD_COLUMNS,
        bd_rows,
        classical_point,
        inr_point,
        learned_point,
        write_table,
    )
    from fcnr.inr import METHODS as INR_METHODS
    from render.basics.errors import FCNRError

    points = []
    for method, lmbda, run_dir in args.learned:
        try:
            value = float(lmbda)
        except ValueError:
            raise FCNRError(f"--learned {method} {lmbda} {run_dir}: LAMBDA must be a number") from None
        points.append(learned_point(method, value, run_dir, args.timesteps))
    points += [classical_point(folder, args.timesteps) for folder in args.classical]
    for method, size, run_dir in args.inr:
        if method not in INR_METHODS or not size.isdigit():
            raise FCNRError(f"--inr {method} {size} {run_dir}: METHOD must be one of {', '.join(INR_METHODS)} "
                            "and SIZE a whole number")  # fmt: skip
        points.append(inr_point(method, int(size), run_dir, args.timesteps))
    if not points:
        raise FCNRError("no runs given; pass --learned, --classical and/or --inr")
    write_table(args.out, points, RD_COLUMNS)
    print(f"{args.out}: {len(points)} RD points on timesteps {args.timesteps}")
    if args.bd_out:
        rows = bd_rows(points, args.test)
        write_table(args.bd_out, rows, BD_COLUMNS)
        for row in rows:
            print(f"  BD-rate of {label(row['test'])} vs {label(row['anchor'])}: {row['bd_rate_psnr']:+.2f} % "
                  f"(PSNR), BD-PSNR {row['bd_psnr']:+.3f} dB {row['note']}")  # fmt: skip
    return 0
