"""``fcnr render``: render IR or DVR images of one volume from every view."""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the render options to ``parser``."""
    parser.add_argument("volume", help="volume file (.npy, float32 [x, y, z]) from `fcnr volumes`")
    parser.add_argument("--dataset", required=True,
                        help="dataset name (its manifest data/NAME.yaml has the render settings) "
                             "or a manifest file")  # fmt: skip
    parser.add_argument("--mode", required=True, choices=["ir", "dvr"],
                        help="ir: shaded isosurface; dvr: direct volume rendering")
    parser.add_argument("--views", required=True, help="views CSV from `fcnr views`")
    parser.add_argument("--size", type=int, default=1024,
                        help="image width and height in pixels (default 1024)")
    parser.add_argument("--out", required=True, help="folder for v{index:04d}.png")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes, each with its own pipeline (default 1)")


def run(args: argparse.Namespace) -> int:
    """Renders every view; returns 0."""
    from render.manifest import load_manifest
    from render.rendering import render_views
    from render.views import read_views

    manifest = load_manifest(args.dataset)
    views = read_views(args.views)
    start = time.perf_counter()
    count = render_views(args.volume, args.mode, manifest, views, args.size, args.out, args.workers)
    seconds = time.perf_counter() - start
    print(f"rendered {count} {args.mode} images of {args.volume} at {args.size}x{args.size} "
          f"into {args.out} in {seconds:.1f} s ({count / seconds:.2f} images/s)")  # fmt: skip
    return 0
