"""Wall time, peak memory and value ranges of producing each dataset's used timesteps.

    python -m bench.volumes_speed [DATASET ...] [--shape X Y Z] [--slices DIR] [--ranges FILE]

Each dataset runs in its own process so that its peak resident memory (ru_maxrss) is its own.
Volumes are generated and dropped (not written), so the time is the source's alone. Prints a
Markdown table; ``--ranges`` also writes the value ranges (min, max, percentiles over all used
timesteps) as Markdown; ``--slices`` saves the middle z-slice of the first and last used timesteps
as PNG. The 1-minute load average before and after each run is part of the table: the machine
may be shared, and then the CPU time (all threads) says more than the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PERCENTILES = [1, 5, 25, 50, 75, 95, 99, 99.9]
SUBSAMPLE = 7  # every 7th voxel of every timestep feeds the percentiles


def measure(dataset: str, shape: list[int] | None, slices: str | None) -> dict:
    """Returns timing, peak memory and value statistics of one dataset's used timesteps."""
    from render.manifest import load_manifest
    from render.volumes import volume_source

    manifest = load_manifest(dataset)
    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    samples, lo, hi, steps = [], np.inf, -np.inf, []
    first = last = None
    for t, volume in volume_source(manifest, shape):
        samples.append(volume.ravel()[::SUBSAMPLE].copy())
        lo, hi = min(lo, float(volume.min())), max(hi, float(volume.max()))
        steps.append(t)
        if first is None:
            first = (t, volume[:, :, volume.shape[2] // 2].copy())
        last = (t, volume[:, :, volume.shape[2] // 2].copy())
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if slices:
        save_slices(dataset, [first, last], lo, hi, Path(slices))
    values = np.concatenate(samples)
    return {
        "dataset": dataset,
        "shape": list(shape or manifest["shape"]),
        "timesteps": [steps[0], steps[-1]],
        "count": len(steps),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "min": lo,
        "max": hi,
        "percentiles": dict(zip(map(str, PERCENTILES), np.percentile(values, PERCENTILES).tolist())),
    }


def save_slices(dataset: str, frames: list, lo: float, hi: float, folder: Path) -> None:
    """Saves the given (t, 2-D slice) pairs as PNGs with one shared colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for t, plane in frames:
        fig, ax = plt.subplots(figsize=(7, 7 * plane.shape[1] / plane.shape[0] + 0.6))
        im = ax.imshow(plane.T, origin="lower", cmap="viridis", vmin=lo, vmax=hi)
        ax.set_title(f"{dataset} t={t} z-slice {plane.shape} (x right, y up)")
        fig.colorbar(im, ax=ax, shrink=0.8)
        fig.savefig(folder / f"{dataset}_t{t:04d}.png", dpi=80, bbox_inches="tight")
        plt.close(fig)


def table(rows: list[dict]) -> str:
    """Returns the Markdown timing table."""
    lines = [
        "| dataset | shape | timesteps | wall s | CPU s | s/timestep | peak RSS MB | load before/after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {'x'.join(map(str, r['shape']))} | {r['timesteps'][0]}-"
            f"{r['timesteps'][1]} ({r['count']}) | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{r['seconds'] / r['count']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['load_before']:.2f}/{r['load_after']:.2f} |"
        )
    return "\n".join(lines)


def ranges(rows: list[dict]) -> str:
    """Returns the Markdown value-range table (for choosing isovalues and transfer functions)."""
    head = " | ".join(f"p{p}" for p in PERCENTILES)
    lines = [f"| dataset | shape | timesteps | min | {head} | max |",
             "|---" * (len(PERCENTILES) + 5) + "|"]
    for r in rows:
        pct = " | ".join(f"{v:.4g}" for v in r["percentiles"].values())
        lines.append(
            f"| {r['dataset']} | {'x'.join(map(str, r['shape']))} | {r['timesteps'][0]}-"
            f"{r['timesteps'][1]} | {r['min']:.4g} | {pct} | {r['max']:.4g} |"
        )
    return "\n".join(lines)


def update_ranges(path: Path, rows: list[dict]) -> None:
    """Writes the value-range table to ``path``, keeping rows of datasets not measured now."""
    fresh = ranges(rows).splitlines()
    names = {r["dataset"] for r in rows}
    kept = []
    if path.is_file():
        kept = [line for line in path.read_text().splitlines()[2:]
                if line.startswith("| ") and line.split("|")[1].strip() not in names | {"dataset"}
                and not line.startswith("|---")]
    text = "\n".join(["# Value ranges of the used timesteps", "", *fresh[:2], *kept, *fresh[2:]])
    path.write_text(text + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=["tornado", "vortex", "tangaroa"])
    parser.add_argument("--shape", type=int, nargs=3, metavar=("X", "Y", "Z"))
    parser.add_argument("--slices", help="folder for PNG slices")
    parser.add_argument("--ranges", help="Markdown file for the value ranges")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.datasets[0], args.shape, args.slices)))
        return 0
    rows = []
    for name in args.datasets:
        cmd = [sys.executable, "-m", "bench.volumes_speed", name, "--one"]
        cmd += ["--shape", *map(str, args.shape)] if args.shape else []
        cmd += ["--slices", args.slices] if args.slices else []
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(f"\ncpus={os.cpu_count()}\n{table(rows)}\n\n{ranges(rows)}")
    if args.ranges:
        update_ranges(Path(args.ranges), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
