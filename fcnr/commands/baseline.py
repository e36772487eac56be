"""``fcnr baseline``: compress every image with a classical codec and score it like FCNR."""

from __future__ import annotations

import argparse

HELP = "Compress images with a classical codec (JPEG, WebP, AVIF, JPEG XL, HEVC, AV1) and score them."

COLUMNS = ("t", "view", "theta", "phi", "split", "psnr", "msssim", "lpips", "bytes", "bpp", "codec", "quality")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the baseline options to ``parser``."""
    from fcnr.baselines import CODECS

    parser.add_argument("images_root", metavar="IMAGES_ROOT", help="folder of t{t:04d}/v{view:04d}.png")
    parser.add_argument("--views", required=True, help="views CSV (fcnr views)")
    parser.add_argument("--split", required=True, help="split CSV (t,view,split): every image listed is coded")
    parser.add_argument("--codec", required=True, choices=sorted(CODECS), help="the codec")
    parser.add_argument(
        "--quality", type=int, required=True,
        help="the codec's setting: quality for jpeg/webp/avif/jpegxl (higher is better), "
             "CRF for hevc/av1 (lower is better)",
    )  # fmt: skip
    parser.add_argument("--out", required=True, help="per-image metrics CSV to write")
    parser.add_argument("--timing-json", help="also write the coding times and sizes as JSON here")
    parser.add_argument("--timesteps", type=int, nargs="+", help="code only these timesteps (default: all in the split)")
    parser.add_argument("--decoded-out", help="write the decoded images of one timestep here as v{view:04d}.png")
    parser.add_argument("--decoded-timestep", type=int, help="the timestep --decoded-out gets (default: the first)")
    parser.add_argument("--no-lpips", action="store_true", help="skip LPIPS (the column is left empty)")
    parser.add_argument("--device", default="cpu", help="torch device for LPIPS (default cpu)")


def run(args: argparse.Namespace) -> int:
    """Writes the metrics CSV (and timing JSON); prints the mean rate and quality; returns 0."""
    from fcnr.baselines import make_codec
    from fcnr.baselines.evaluate import evaluate_codec
    from fcnr.errors import FCNRError
    from fcnr.evaluate import lpips_metric
    from fcnr.split import read_split_csv
    from render.views import read_views

    codec = make_codec(args.codec, args.quality)
    split = read_split_csv(args.split)
    if args.timesteps:
        missing = sorted(set(args.timesteps) - {t for t, _ in split})
        if missing:
            raise FCNRError(f"{args.split}: no images of timestep(s) {missing}")
        split = {key: value for key, value in split.items() if key[0] in set(args.timesteps)}
    lpips = None if args.no_lpips else lpips_metric(args.device)
    result = evaluate_codec(
        codec, args.images_root, read_views(args.views), split, lpips,
        decoded_out=args.decoded_out, decoded_timestep=args.decoded_timestep,
    )  # fmt: skip
    result.write(args.out, args.timing_json)
    print(result.summary_line())
    return 0
