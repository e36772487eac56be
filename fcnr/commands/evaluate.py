"""``fcnr evaluate``: per-image quality and rate metrics of one dataset mode.

``fcnr evaluate timestep MODE_DIR --timestep T ...`` scores one timestep's decoded images and
writes a part CSV plus a JSON note on LPIPS; ``fcnr evaluate gather MODE_DIR ...`` joins the parts
into ``metrics.csv`` and writes ``summary.json`` and ``timing.json``. MODE_DIR follows the
workflow's layout (see :mod:`fcnr.evaluation.evaluate`).
"""

from __future__ import annotations

import argparse

from fcnr.commands.scoring import add_metric_switches, scorer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``timestep`` and ``gather`` steps and their options to ``parser``."""
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    one = steps.add_parser("timestep", help="score one timestep's images", description="Score one timestep's images.")
    one.add_argument("mode_dir", metavar="MODE_DIR", help="results/DS/MODE (images/, decoded/, shards/)")
    one.add_argument("--timestep", type=int, required=True, help="timestep number t")
    one.add_argument("--images", help="ground-truth root of t{t:04d}/ folders (default MODE_DIR/images)")
    one.add_argument("--views", required=True, help="views CSV (fcnr views)")
    one.add_argument("--split", required=True, help="split CSV (t,view,split)")
    one.add_argument("--out", required=True, help="metrics CSV to write for this timestep")
    one.add_argument("--status", required=True, help="JSON to write: LPIPS availability (and why not)")
    add_metric_switches(one)

    gather = steps.add_parser("gather", help="join the parts; write summary and timing",
                              description="Join per-timestep metrics; write metrics.csv, summary.json, timing.json.")  # fmt: skip
    gather.add_argument("mode_dir", metavar="MODE_DIR", help="results/DS/MODE (shards/, model/, timing/)")
    gather.add_argument("--split", required=True, help="split CSV: every image in it must be scored")
    gather.add_argument("--parts", nargs="+", required=True, help="per-timestep metrics CSVs")
    gather.add_argument("--status", nargs="+", required=True, help="per-timestep LPIPS status JSONs")
    gather.add_argument("--out", required=True, help="metrics.csv to write")
    gather.add_argument("--summary", required=True, help="summary.json to write")
    gather.add_argument("--timing", required=True, help="timing.json to write")


def run(args: argparse.Namespace) -> int:
    """Runs the chosen step; returns 0."""
    return _timestep(args) if args.step == "timestep" else _gather(args)


def _timestep(args: argparse.Namespace) -> int:
    import time

    from fcnr.evaluation.evaluate import evaluate_timestep, write_metrics_csv
    from fcnr.training.split import read_split
    from render.basics.atomic import write_json
    from render.views import read_views

    score, status = scorer(args)
    start = time.perf_counter()
    rows = evaluate_timestep(args.mode_dir, args.timestep, read_views(args.views), read_split(args.split), score,
                             args.images)
    write_metrics_csv(args.out, rows)
    write_json(args.status, status | {"seconds": time.perf_counter() - start})
    print(f"t={args.timestep}: scored {len(rows)} images in {time.perf_counter() - start:.1f} s"
          + ("" if status["available"] else f"; {status['reason']}"))  # fmt: skip
    return 0


def _gather(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from fcnr.evaluation.evaluate import (
        gather_metrics,
        summarize,
        timing,
        write_metrics_csv,
    )
    from fcnr.training.split import read_split
    from render.basics.atomic import write_json
    from render.basics.errors import FCNRError

    rows = gather_metrics(args.parts, read_split(args.split))
    statuses = []
    for path in args.status:
        try:
            statuses.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as exc:
            raise FCNRError(f"{path}: cannot read the LPIPS status ({exc}); rerun `fcnr evaluate timestep`") from exc
    # LPIPS counts as available only if every part had it; else the first reason says why not.
    missing = [s for s in statuses if not s["available"]]
    lpips_status = {"available": not missing, "reason": missing[0]["reason"] if missing else ""}
    summary = summarize(rows, args.mode_dir, lpips_status)
    times = timing(args.mode_dir, sorted({r["t"] for r in rows}))
    write_metrics_csv(args.out, rows)
    write_json(args.summary, summary)
    write_json(args.timing, times)
    a = summary["all"]
    print(f"{args.mode_dir}: {len(rows)} images, PSNR {a['psnr']:.2f} dB, MS-SSIM {a['msssim']:.4f}, "
          f"{a['bpp']:.4f} bpp ({summary['bpp_with_decoder']:.4f} with the decoder); "
          f"ET {times['et_hours']:.4f} h, DT {times['dt_seconds']:.1f} s")  # fmt: skip
    return 0
