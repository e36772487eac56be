"""``fcnr baseline``: compress every image with a classical codec and score it like FCNR."""

from __future__ import annotations

import argparse

from fcnr.commands.scoring import add_metric_switches, scorer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the baseline options to ``parser``."""
    from fcnr.baselines import CODECS

    parser.add_argument("images_root", metavar="IMAGES_ROOT", help="folder of t{t:04d}/v{view:04d}.png")
    parser.add_argument("--views", required=True, help="views CSV (fcnr views)")
    parser.add_argument("--split", required=True, help="split CSV (t,view,split): every image listed is coded")
    parser.add_argument("--codec", required=True, choices=sorted(CODECS), help="the codec")
    parser.add_argument(
        "--quality", type=int, nargs="+", required=True,
        help="the codec's setting(s): quality for jpeg/webp/avif/jpegxl (higher is better), "
             "CRF for hevc/av1 (lower is better); each is a separate run",
    )  # fmt: skip
    parser.add_argument("--out", required=True,
                        help="folder to write OUT/q{Q}/metrics.csv (FCNR's per-image columns) and timing.json")
    parser.add_argument("--timesteps", type=int, nargs="+",
                        help="code only these timesteps (default: all in the split)")
    parser.add_argument("--decoded-timestep", type=int,
                        help="also write this timestep's decoded images as OUT/q{Q}/decoded/t{t:04d}/v{view:04d}.png")
    add_metric_switches(parser)


def run(args: argparse.Namespace) -> int:
    """Writes OUT/q{Q}/metrics.csv and timing.json for every setting, prints one line each; returns 0."""
    from fcnr.baselines import make_codec
    from fcnr.baselines.evaluate import evaluate_codec, setting_dir, write_result
    from fcnr.training.split import read_split
    from render.basics.errors import FCNRError
    from render.views import read_views

    codecs = [make_codec(args.codec, q) for q in args.quality]
    split = read_split(args.split)
    if args.timesteps:
        missing = sorted(set(args.timesteps) - {t for t, _ in split})
        if missing:
            raise FCNRError(f"{args.split}: no images of timestep(s) {missing}")
        split = {key: value for key, value in split.items() if key[0] in set(args.timesteps)}
    score, status = scorer(args)
    views = read_views(args.views)
    for codec in codecs:
        decoded = setting_dir(args.out, codec) / "decoded" if args.decoded_timestep is not None else None
        result = evaluate_codec(codec, args.images_root, views, split, score, decoded, args.decoded_timestep)
        folder = write_result(args.out, result, status)
        print(f"{result.summary_line()} -> {folder}")
    if not status["available"]:
        print(status["reason"])
    return 0
