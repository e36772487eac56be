"""What a report section reads: one dataset's results folder, loaded lazily and cached."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from fcnr.evaluation.evaluate import read_metrics_csv
from render.basics.errors import FCNRError

PAPER_FIGURES = Path(__file__).with_name("paper_figures.yaml")
MODES = ("ir", "dvr")
MODE_NAMES = {"ir": "IR", "dvr": "DVR"}


@dataclass
class ReportContext:
    """One dataset's results (``results/DS``); every accessor returns None when its file is absent."""

    root: Path
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    @property
    def dataset(self) -> str:
        """Returns the dataset's name (from the settings, else the folder's name)."""
        return self.settings.get("dataset", self.root.name)

    @cached_property
    def settings(self) -> dict[str, Any]:
        """Returns the run's settings (``settings.json`` written by the workflow), or {} if absent."""
        return self.json(self.root / "settings.json") or {}

    @property
    def modes(self) -> list[str]:
        """Returns the run's modes (from the settings, else those with a folder)."""
        return self.settings.get("modes") or [m for m in MODES if self.mode_dir(m).is_dir()]

    def mode_dir(self, mode: str) -> Path:
        """Returns ``results/DS/MODE``."""
        return self.root / mode

    def metrics(self, mode: str) -> list[dict[str, Any]] | None:
        """Returns the typed rows of ``MODE/metrics.csv``, or None if absent."""
        path = self.mode_dir(mode) / "metrics.csv"
        if str(path) not in self._cache:
            self._cache[str(path)] = read_metrics_csv(path) if path.is_file() else None
        return self._cache[str(path)]

    def metrics_array(self, mode: str, column: str) -> np.ndarray | None:
        """Returns one metrics column as a float array, or None if the metrics are absent."""
        rows = self.metrics(mode)
        return None if rows is None else np.array([r[column] for r in rows], dtype=np.float64)

    def summary(self, mode: str) -> dict[str, Any] | None:
        """Returns ``MODE/summary.json`` (mean metrics, bytes, LPIPS status), or None."""
        return self.json(self.mode_dir(mode) / "summary.json")

    def timing(self, mode: str) -> dict[str, Any] | None:
        """Returns ``MODE/timing.json`` (training, encoding, decoding seconds), or None."""
        return self.json(self.mode_dir(mode) / "timing.json")

    def paper(self) -> dict[str, Any]:
        """Returns the paper's Table 2 for this dataset: ``{method: {mode: {psnr, lpips, bpp, et_h, dt_s}}}``."""
        return self.paper_table()["datasets"].get(self.dataset.lower(), {})

    def paper_table(self) -> dict[str, Any]:
        """Returns the whole of ``paper_figures.yaml`` (``images``, ``size``, ``gpu``, ``datasets``)."""
        if "paper" not in self._cache:
            self._cache["paper"] = yaml.safe_load(PAPER_FIGURES.read_text())
        return self._cache["paper"]

    def json(self, path: Path) -> dict[str, Any] | None:
        """Returns the JSON file at ``path`` (cached), or None if absent."""
        if str(path) not in self._cache:
            try:
                self._cache[str(path)] = json.loads(path.read_text()) if path.is_file() else None
            except ValueError as exc:
                raise FCNRError(f"{path}: not valid JSON ({exc}); rerun the step that writes it") from exc
        return self._cache[str(path)]
