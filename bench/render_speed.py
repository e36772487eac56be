"""Prints rendering throughput (images/s) for IR and DVR at two sizes and worker counts.

Each cell renders ``--views`` views spread over the 812-view icosphere with ``fcnr render``'s
own code path (render.rendering.render_views, PNG encoding and atomic writes included), so
``images/s`` includes process start-up and pipeline build. ``steady/s`` (one worker) leaves the
start-up out, as a real run of 812 views per pipeline nearly does. The machine's load average is printed beside every cell,
because the figures move with whatever else the machine is running.

    .venv/bin/python -m bench.render_speed [--dataset tornado] [--volume t0000.npy] [--views 16]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from render.manifest import load_manifest, used_timesteps
from render.rendering import render_views
from render.views import icosphere_views

PAPER_IMAGES = 24_360  # per dataset and mode (812 views x 30 timesteps)


def bench_volume(manifest: dict, path: str | None) -> str:
    """Returns the path of a volume to render: ``path``, or the dataset's first used timestep."""
    if path:
        return path
    from render.basics.atomic import save_npy
    from render.volumes import volume_source

    t = used_timesteps(manifest)[0]
    _, volume = next(volume_source(manifest, timesteps=[t]))
    out = Path(tempfile.gettempdir()) / f"fcnr-bench-{manifest['name']}-t{t:04d}.npy"
    save_npy(out, volume)
    return str(out)


def timed(volume: str, mode: str, manifest: dict, views: np.ndarray, size: int,
          workers: int) -> float:  # fmt: skip
    """Returns the seconds ``fcnr render``'s code path takes for ``views`` (files discarded)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        render_views(volume, mode, manifest, views, size, out, workers)
        return time.perf_counter() - start


def main() -> int:
    """Runs the benchmark grid and prints the table and the paper-scale projection."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="tornado")
    parser.add_argument("--volume", help="volume .npy (default: generate the first used timestep)")
    parser.add_argument("--views", type=int, default=16, help="views per cell (default 16)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--modes", nargs="+", default=["ir", "dvr"])
    args = parser.parse_args()

    manifest = load_manifest(args.dataset)
    volume = bench_volume(manifest, args.volume)
    all_views = icosphere_views(9)
    views = all_views[np.linspace(0, len(all_views) - 1, args.views).round().astype(int)]
    print(f"# {args.dataset} {manifest['shape']} from {volume}; {args.views} views per cell")
    print(f"# {platform.node()}: {os.cpu_count()} CPUs, no GPU (VTK offscreen EGL, Mesa llvmpipe)")
    header = ("mode", "size", "workers", "seconds", "images/s", "steady/s", "load before/after")
    print(f"{header[0]:<5}{header[1]:>6}{header[2]:>9}{header[3]:>9}{header[4]:>10}{header[5]:>10}"
          f"{header[6]:>20}")  # fmt: skip
    rates: dict[tuple[str, int], float] = {}
    for mode in args.modes:
        for size in args.sizes:
            # One view alone is the start-up (process, volume, pipeline, first frame); the
            # steady rate of one worker excludes it, as a run of 812 views nearly does.
            timed(volume, mode, manifest, views[:1], size, 1)  # warm-up: imports, shader caches
            first = timed(volume, mode, manifest, views[:1], size, 1)
            for workers in args.workers:
                load = os.getloadavg()[0]
                seconds = timed(volume, mode, manifest, views, size, workers)
                rate = len(views) / seconds
                steady = float("nan")
                if workers == 1 and seconds > first:
                    steady = (len(views) - 1) / (seconds - first)
                rates[mode, size] = max(rate, steady if workers == 1 else 0.0,
                                        rates.get((mode, size), 0.0))  # fmt: skip
                print(f"{mode:<5}{size:>6}{workers:>9}{seconds:>9.2f}{rate:>10.2f}{steady:>10.2f}"
                      f"{load:>11.2f} / {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    size = max(args.sizes)
    if all((mode, size) in rates for mode in ("ir", "dvr")):
        hours = {mode: PAPER_IMAGES / rates[mode, size] / 3600 for mode in ("ir", "dvr")}
        print(f"\nPaper scale, one dataset: {PAPER_IMAGES} IR + {PAPER_IMAGES} DVR images at "
              f"{size}^2 at the best rate above: IR {hours['ir']:.1f} h + DVR "
              f"{hours['dvr']:.1f} h = {sum(hours.values()):.1f} h on this machine")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
