"""A finished run's folder, ``results/DS``, as the viewer and the Cinema export read it.

What is read (the workflow writes all of it; only views.csv and each mode's model and shards are
required)::

    DS/settings.json                 dataset, modes and timesteps of the run
    DS/views.csv                     index,theta,phi,x,y,z (fcnr views)
    DS/MODE/model/                   config.json + weights.safetensors
    DS/MODE/shards/t{t:04d}.fcnr     one shard per timestep
    DS/MODE/images/t{t:04d}/         the rendered ground truth
    DS/MODE/metrics.csv              per-image PSNR, BPP, ...

Without settings.json the modes are the folders that hold shards and the timesteps are the
shards' numbers. Every path is built from validated numbers and the known modes, never from
text a client sent, so nothing outside the folder is reachable.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from fcnr.evaluation.evaluate import read_metrics_csv
from fcnr.images import image_path, timestep_dir
from render.basics.errors import FCNRError
from render.rendering import MODES
from render.views import read_views

SHARD_NAME = re.compile(r"^t(\d{4,})\.fcnr$")


@dataclass
class Run:
    """One dataset's results folder; ``open_run`` checks it holds what decoding needs."""

    root: Path
    settings: dict[str, Any]
    views: np.ndarray
    modes: list[str]
    timesteps: list[int]
    _metrics: dict[str, dict[tuple[int, int], dict[str, Any]] | None] = field(default_factory=dict, repr=False)

    @property
    def dataset(self) -> str:
        """Returns the dataset's name (from the settings, else the folder's name)."""
        return self.settings.get("dataset", self.root.name)

    def mode_dir(self, mode: str) -> Path:
        """Returns ``DS/MODE``."""
        return self.root / mode

    def model_dir(self, mode: str) -> Path:
        """Returns the folder of the model that compressed ``mode``'s shards."""
        return self.mode_dir(mode) / "model"

    def shard_path(self, mode: str, t: int) -> Path:
        """Returns the shard of timestep ``t``."""
        return self.mode_dir(mode) / "shards" / f"t{t:04d}.fcnr"

    def truth_path(self, mode: str, t: int, view: int) -> Path:
        """Returns the rendered ground-truth image of (t, view); it may not exist."""
        return image_path(timestep_dir(self.mode_dir(mode) / "images", t), view)

    def has_truth(self, mode: str) -> bool:
        """Returns whether the run kept its rendered images for ``mode``."""
        return (self.mode_dir(mode) / "images").is_dir()

    def metrics(self, mode: str, t: int, view: int) -> dict[str, Any] | None:
        """Returns the metrics.csv row of (t, view), or None when the run has no metrics for it."""
        if mode not in self._metrics:
            path = self.mode_dir(mode) / "metrics.csv"
            rows = read_metrics_csv(path) if path.is_file() else None
            self._metrics[mode] = None if rows is None else {(r["t"], r["view"]): r for r in rows}
        table = self._metrics[mode]
        return None if table is None else table.get((t, view))

    @cached_property
    def view_index(self) -> dict[int, int]:
        """Returns {view id: row in ``views``}."""
        return {int(v): k for k, v in enumerate(self.views["index"])}

    @cached_property
    def directions(self) -> np.ndarray:
        """Returns the views' unit vectors, (V, 3), in row order."""
        return np.stack([self.views["x"], self.views["y"], self.views["z"]], axis=1)

    def neighbours(self, view: int, count: int) -> list[int]:
        """Returns the ``count`` views nearest to ``view`` by angle, nearest first (ties by view id)."""
        d = self.directions
        cosines = d @ d[self.view_index[view]]
        order = np.lexsort((self.views["index"], -cosines))
        return [int(self.views["index"][k]) for k in order if int(self.views["index"][k]) != view][:count]


def _read_settings(root: Path) -> dict[str, Any]:
    path = root / "settings.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise FCNRError(f"{path}: cannot read the run's settings ({exc})") from exc


def _shard_timesteps(root: Path, modes: list[str]) -> list[int]:
    found = set()
    for mode in modes:
        folder = root / mode / "shards"
        names = os.listdir(folder) if folder.is_dir() else []
        found |= {int(m[1]) for m in map(SHARD_NAME.match, names) if m}
    return sorted(found)


def open_run(root: str | os.PathLike) -> Run:
    """Returns the run in ``root`` (``results/DS``); a folder that is not a finished run is an FCNRError."""
    root = Path(root).resolve()
    if not (root / "views.csv").is_file():
        raise FCNRError(f"{root}: not a run folder (no views.csv); pass results/DATASET of a finished workflow run")
    settings = _read_settings(root)
    modes = [m for m in settings.get("modes", MODES) if (root / m / "shards").is_dir()]
    if not modes:
        raise FCNRError(f"{root}: no mode has shards (looked for {', '.join(f'{m}/shards/' for m in MODES)}); "
                        "run the workflow to the compress stage first")  # fmt: skip
    timesteps = [int(t) for t in settings.get("timesteps", [])] or _shard_timesteps(root, modes)
    if not timesteps:
        raise FCNRError(f"{root}: no timesteps (settings.json has none and no shard t*.fcnr was found)")
    return Run(root, settings, read_views(root / "views.csv"), modes, timesteps)
