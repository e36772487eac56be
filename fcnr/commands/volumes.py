"""``fcnr volumes DATASET --out DIR [--shape X Y Z] [--timesteps A:B]``."""

from __future__ import annotations

import argparse
import sys
import time

from render.basics.errors import FCNRError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", help="dataset name (data/NAME.yaml) or a manifest .yaml path")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--shape", type=int, nargs=3, metavar=("X", "Y", "Z"),
        help="grid to produce instead of the manifest's (small runs); see render/volumes/",
    )
    parser.add_argument(
        "--timesteps", metavar="A:B[:STEP][,...]",
        help="absolute timesteps: half-open ranges like Python's, joined by commas, e.g. 0:30:2,60:90 "
             "(default: the manifest's used ones)",
    )


def run(args: argparse.Namespace) -> int:
    from render.manifest import load_manifest, parse_timesteps, used_timesteps
    from render.volumes import write_volumes

    manifest = load_manifest(args.dataset)
    timesteps = used_timesteps(manifest)
    if args.timesteps:
        try:
            timesteps = parse_timesteps(args.timesteps, manifest["total_timesteps"])
        except FCNRError as exc:
            raise FCNRError(f"--timesteps: {exc}") from None
    start = time.perf_counter()
    meta = write_volumes(manifest, args.out, args.shape, timesteps)
    print(
        f"{meta['dataset']}: wrote {len(meta['timesteps'])} volumes {meta['shape']} to {args.out} "
        f"in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0
