"""Where every RD point's run lives and which points a config asks for: one layout for the workflow,
the report and the benchmarks.

Below a mode folder (``results/DS/MODE``), FCNR's main point is the mode folder itself; every other
point has a folder in ``baselines/``: a learned point (a variant at a lambda) in the mode-directory
layout (``metrics/t{t:04d}.csv``, ``timing/{encode,decode}/``, ``model/``), a classical codec's
setting as ``fcnr baseline`` writes it (``metrics.csv``, ``timing.json``), an INR at a parameter
budget as ``fcnr inr`` writes it (:mod:`fcnr.inr.run`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fcnr.codec.variants import MAIN
from fcnr.evaluation.evaluate import read_metrics_csv
from fcnr.schemas import model_default

BASELINES = "baselines"
# Each point's folder below the mode folder, by kind of setting; format with method= and value=.
LEARNED_RUN = BASELINES + "/{method}/lambda{value}"
INR_RUN = BASELINES + "/{method}/p{value}"
CODEC_RUN = BASELINES + "/{method}/q{value}"
RD_CSV = BASELINES + "/rd.csv"
BD_CSV = BASELINES + "/bdrate.csv"


def default_lambda() -> float:
    """Returns the lambda `fcnr train` uses when none is given (the model schema's default)."""
    return float(model_default("lambda"))


def main_lambda(config: dict[str, Any]) -> float:
    """Returns FCNR's main lambda of a run's config: train.lambda, else `fcnr train`'s default."""
    value = config.get("train", {}).get("lambda")
    return default_lambda() if value is None else float(value)


def learned_steps(config: dict[str, Any]) -> int | None:
    """Returns the training steps of each learned point: baselines.learned.finetune_steps, else train.max_steps."""
    steps = config.get("baselines", {}).get("learned", {}).get("finetune_steps")
    return steps or config.get("train", {}).get("max_steps")


def compared_timesteps(timesteps: Sequence[int], count: int | None) -> list[int]:
    """Returns ``count`` of ``timesteps`` evenly spread (all when ``count`` is None).

    Two or more include the first and the last; one is the last, which (unlike the first) is never
    a training timestep when the run has 3k + 2 or 3k + 3 of them (``fcnr.training.split``).
    """
    timesteps = list(timesteps)
    if count is None or count >= len(timesteps):
        return timesteps
    if count == 1:
        return timesteps[-1:]
    return [timesteps[round(k * (len(timesteps) - 1) / max(count - 1, 1))] for k in range(count)]


def lam_str(value: float) -> str:
    """Returns a lambda as it appears in paths: its shortest form (250, 0.5, 1e+06)."""
    return f"{float(value):g}"


def run_dir(mode_dir: str | os.PathLike, method: str, setting: str, value: float, main_lambda: float) -> Path:
    """Returns the folder of one point: FCNR's main run is the mode folder, the others live in ``baselines/``."""
    mode_dir = Path(mode_dir)
    if setting == "lambda":
        if method == MAIN and float(value) == float(main_lambda):
            return mode_dir
        return mode_dir / LEARNED_RUN.format(method=method, value=lam_str(value))
    template = INR_RUN if setting == "params" else CODEC_RUN
    return mode_dir / template.format(method=method, value=int(value))


def image_row(folder: Path, setting: str, t: int, view: int) -> dict[str, Any] | None:
    """Returns the metrics row of image (t, view) of the point in ``folder``, or None if it was not scored."""
    path = folder / "metrics" / f"t{t:04d}.csv" if setting == "lambda" else folder / "metrics.csv"
    if not path.is_file():
        return None
    return next((r for r in read_metrics_csv(path) if (r["t"], r["view"]) == (t, view)), None)
