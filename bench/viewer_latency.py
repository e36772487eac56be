"""Latency of the viewer's ``/api/image`` on a finished run, beside reading the image from a PNG folder.

    python -m bench.viewer_latency results/DS [--requests 200] [--seed 0] [--device cpu] [--think-ms 250]

Starts the real server (``fcnr view RUN --port 0``) and times ``--requests`` random
(mode, timestep, view) requests over one keep-alive connection, as the page's fetch does:

- **cold**: a server with no cache and no prefetching, so every request decodes its pair;
- **cached**: the same requests again on a server that has already served them once;
- **orbit walk**: a random walk from view to neighbouring view (or timestep), ``--think-ms``
  apart, on a server with its default cache and prefetching: what dragging feels like;
- **PNG folder**: the same images read from ``MODE/decoded/`` (what ``fcnr decompress`` wrote),
  as file bytes and as decoded pixels.

Prints p50 and p95 in milliseconds and the 1-minute load average (the machine may be shared).
The run folder is only read.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from fcnr.viewer.run import Run, open_run


class Viewer:
    """``fcnr view RUN`` in a child process, and one keep-alive connection to it."""

    def __init__(self, run_dir: Path, device: str, *options: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "fcnr.cli", "view", str(run_dir), "--port", "0", "--quiet",
                                      "--device", device, *options], stdout=subprocess.PIPE, text=True)  # fmt: skip
        line = self.proc.stdout.readline()
        if " at http://" not in line:
            raise SystemExit(f"fcnr view did not start: {line}")
        host, port = line.split(" at http://")[1].split("/")[0].rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=300)

    def get(self, mode: str, t: int, view: int) -> float:
        """Returns the seconds one image took, request to last byte."""
        start = time.perf_counter()
        self.connection.request("GET", f"/api/image?mode={mode}&t={t}&view={view}")
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"/api/image mode={mode} t={t} view={view}: {response.status} {body[:300]!r}")
        return time.perf_counter() - start

    def close(self) -> None:
        self.connection.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def random_images(run: Run, count: int, rng: random.Random) -> list[tuple[str, int, int]]:
    views = [int(v) for v in run.views["index"]]
    return [(rng.choice(run.modes), rng.choice(run.timesteps), rng.choice(views)) for _ in range(count)]


def orbit_walk(run: Run, count: int, rng: random.Random) -> list[tuple[str, int, int]]:
    """Returns a walk that moves to one of the 6 nearest views, or 1 timestep, at each step."""
    mode, t, view = rng.choice(run.modes), rng.choice(run.timesteps), int(rng.choice(run.views["index"]))
    walk = []
    for _ in range(count):
        if rng.random() < 0.8:
            view = rng.choice(run.neighbours(view, 6))
        else:
            k = run.timesteps.index(t) + rng.choice((-1, 1))
            t = run.timesteps[min(max(k, 0), len(run.timesteps) - 1)]
        walk.append((mode, t, view))
    return walk


def png_folder(run: Run, images: list[tuple[str, int, int]]) -> tuple[list[float], list[float]]:
    """Returns the seconds to read each image's decoded PNG as bytes, and as pixels."""
    read, pixels = [], []
    for mode, t, view in images:
        path = run.mode_dir(mode) / "decoded" / f"t{t:04d}" / f"v{view:04d}.png"
        start = time.perf_counter()
        path.read_bytes()
        read.append(time.perf_counter() - start)
        start = time.perf_counter()
        with Image.open(path) as im:
            np.asarray(im.convert("RGB"))
        pixels.append(time.perf_counter() - start)
    return read, pixels


def row(name: str, seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"| {name} | {len(ms)} | {np.percentile(ms, 50):.2f} | {np.percentile(ms, 95):.2f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--think-ms", type=float, default=250.0, help="pause between orbit-walk steps")
    a = parser.parse_args()
    run = open_run(a.run_dir)
    rng = random.Random(a.seed)
    images = random_images(run, a.requests, rng)
    size = next(Image.open(run.mode_dir(m) / "decoded" / f"t{t:04d}" / f"v{v:04d}.png").size for m, t, v in images)

    cold = Viewer(a.run_dir, a.device, "--cache-mb", "0", "--no-prefetch")
    cold_s = [cold.get(*image) for image in images]
    cold.close()
    cached = Viewer(a.run_dir, a.device, "--no-prefetch")
    for image in images:
        cached.get(*image)
    cached_s = [cached.get(*image) for image in images]
    cached.close()
    walker = Viewer(a.run_dir, a.device)
    walk_s = []
    for image in orbit_walk(run, a.requests, rng):
        walk_s.append(walker.get(*image))
        time.sleep(a.think_ms / 1000)
    walker.close()
    read_s, pixels_s = png_folder(run, images)

    print(f"{run.root}: {len(run.modes)} modes x {len(run.timesteps)} timesteps x {len(run.views)} views of "
          f"{size[0]}x{size[1]}; device {a.device}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
          f"load average {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print("| what | requests | p50 (ms) | p95 (ms) |\n|---|---|---|---|")
    print(row("/api/image cold (decode one pair + PNG)", cold_s))
    print(row("/api/image cached (server LRU)", cached_s))
    print(row(f"/api/image orbit walk (prefetch, {a.think_ms:g} ms apart)", walk_s))
    print(row("PNG folder: read the file", read_s))
    print(row("PNG folder: read and decode to pixels", pixels_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
