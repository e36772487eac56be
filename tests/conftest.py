"""Fixtures shared by several test modules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Runs a module's tests on one torch thread: OpenMP threads spin badly on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- a tiny finished run (the viewer and Cinema tests) ---------------------------------------

TINY_RUN = {"dataset": "tiny", "modes": ["ir", "dvr"], "timesteps": [3, 4, 5], "size": 32}


def tiny_image(mode: str, t: int, view: int, size: int) -> np.ndarray:
    """Returns a smooth RGB test image that differs by mode, timestep and view."""
    y, x = np.mgrid[0:size, 0:size] / size
    disc = ((x - 0.3 - 0.04 * view) ** 2 + (y - 0.4 - 0.05 * t) ** 2 < 0.06).astype(float)
    tint = 0.3 if mode == "ir" else 0.7
    rgb = np.stack([tint + 0.3 * np.sin(5 * x + view), 0.2 + 0.7 * y * disc, 0.5 + 0.4 * x * y - 0.05 * t], axis=-1)
    return (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)


def make_tiny_run(root: Path) -> Path:
    """Writes ``root`` as the workflow leaves a run: views, split, settings, and per mode ground
    truth, an untrained tiny model, shards (``fcnr compress``), decoded images (``fcnr decompress``)
    and metrics.csv; returns ``root``."""
    from fcnr.cli import main
    from fcnr.codec.model import build_model
    from fcnr.codec.model_io import save_model
    from fcnr.evaluation.evaluate import evaluate_timestep, write_metrics_csv
    from fcnr.images import write_image
    from fcnr.training.split import read_split, write_split_csv
    from render.views import icosphere_views, write_views

    spec = TINY_RUN
    views = icosphere_views(1)
    write_views(views, root / "views.csv")
    write_split_csv(root / "split.csv", spec["timesteps"], len(views))
    (root / "settings.json").write_text(json.dumps({k: spec[k] for k in ("dataset", "modes", "timesteps")}))
    config = {"variant": "fcnr", "N": 16, "M": 8, "heads": 2, "pe_L": 8, "pe_b": 1.25,
              "t_range": [spec["timesteps"][0], spec["timesteps"][-1]]}  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for seed, mode in enumerate(spec["modes"]):
            m = root / mode
            torch.manual_seed(seed)
            save_model(build_model(config).eval(), m / "model")
            rows = []
            for t in spec["timesteps"]:
                for v in views["index"]:
                    write_image(m / "images" / f"t{t:04d}" / f"v{int(v):04d}.png", tiny_image(mode, t, int(v), spec["size"]))
                shard, decoded = m / "shards" / f"t{t:04d}.fcnr", m / "decoded" / f"t{t:04d}"
                assert main(["compress", str(m / "images" / f"t{t:04d}"), "--model", str(m / "model"), "--views",
                             str(root / "views.csv"), "--timestep", str(t), "--out", str(shard)]) == 0  # fmt: skip
                assert main(["decompress", str(shard), "--model", str(m / "model"), "--out", str(decoded)]) == 0
                rows += evaluate_timestep(m, t, views, read_split(root / "split.csv"))
            write_metrics_csv(m / "metrics.csv", rows)
    finally:
        torch.set_num_threads(threads)
    return root


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A tiny finished run (2 modes, 3 timesteps, 12 views of 32x32), built once per session; read only."""
    return make_tiny_run(tmp_path_factory.mktemp("tiny_run") / "tiny")
