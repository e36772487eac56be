"""``fcnr volumes DATASET --out DIR [--shape X Y Z] [--timesteps A:B]``."""

from __future__ import annotations

import argparse
import sys
import time

from fcnr.errors import FCNRError

HELP = "Write a dataset's volumes as DIR/t{k:04d}.npy plus meta.json."


def parse_timesteps(text: str) -> tuple[int | None, int | None]:
    """Returns the half-open range (A, B) of ``A:B`` (either side may be empty); a bare ``K`` is K:K+1."""
    try:
        if ":" not in text:
            k = int(text)
            return k, k + 1
        a, b = text.split(":")
        return (int(a) if a.strip() else None), (int(b) if b.strip() else None)
    except ValueError as exc:
        raise FCNRError(f"--timesteps {text!r}: expected A:B with integers, e.g. 30:60") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", help="dataset name (data/NAME.yaml) or a manifest .yaml path")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--shape", type=int, nargs=3, metavar=("X", "Y", "Z"),
        help="grid to produce instead of the manifest's (small runs); see render/volumes/",
    )
    parser.add_argument(
        "--timesteps", metavar="A:B",
        help="absolute timesteps, half-open like Python (default: the manifest's used ones)",
    )


def run(args: argparse.Namespace) -> int:
    from render.manifest import load_manifest, used_timesteps
    from render.volumes import write_volumes

    manifest = load_manifest(args.dataset)
    timesteps = used_timesteps(manifest)
    if args.timesteps:
        a, b = parse_timesteps(args.timesteps)
        timesteps = list(range(0 if a is None else a, manifest["total_timesteps"] if b is None else b))
    start = time.perf_counter()
    meta = write_volumes(manifest, args.out, args.shape, timesteps)
    print(
        f"{meta['dataset']}: wrote {len(meta['timesteps'])} volumes {meta['shape']} to {args.out} "
        f"in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0
