"""One INR run folder (a method at one parameter budget): its files, per-image metrics and timing.

Layout (the workflow's ``results/DS/MODE/baselines/METHOD/p{SIZE}``)::

    RUN/model/             fcnr.inr.train: config, float weights, train_log.csv, train_summary.json
    RUN/bitstream.inr      the compressed INR (fcnr.inr.bitstream): everything a decoder reads
    RUN/encode.json        writing the bitstream: seconds, bytes, bits per symbol
    RUN/decoded/t{t:04d}/  the images decoded from the bitstream alone (fcnr inr decode)
    RUN/decode.json        load seconds and per-image decoding seconds apart
    RUN/metrics.csv        one row per image, FCNR's columns: the decoded images scored
    RUN/timing.json        training, encoding, loading and decoding seconds; ET (h) and DT (s)

Every image's bytes are an even share of the file, so they add up to its size and
BPP = 8 * file bytes / (images * H * W). ET = training + writing the bitstream; DT = loading the
file + decoding every image.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fcnr.evaluation.evaluate import image_metrics
from fcnr.images import image_path, read_image, timestep_dir
from fcnr.inr.header import read_header
from render.basics.atomic import read_json as atomic_read_json
from render.basics.errors import FCNRError

LOG_COLUMNS = ("epoch", "step", "loss", "psnr", "lr", "seconds")
LOG = "train_log.csv"  # in RUN/model/, one row per epoch


@dataclass(frozen=True)
class RunDir:
    """The files of one INR run under ``root``."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def bitstream(self) -> Path:
        return self.root / "bitstream.inr"

    @property
    def encode_json(self) -> Path:
        return self.root / "encode.json"

    @property
    def decoded(self) -> Path:
        return self.root / "decoded"

    @property
    def decode_json(self) -> Path:
        return self.root / "decode.json"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.csv"

    @property
    def timing(self) -> Path:
        return self.root / "timing.json"


def read_json(path: str | os.PathLike) -> dict[str, Any]:
    """Returns a run's JSON file; a missing or broken one is an FCNRError saying which step writes it."""
    return atomic_read_json(path, "rerun the INR step that writes it")


def read_train_log(model_dir: str | Path) -> dict[str, np.ndarray]:
    """Returns ``model_dir/train_log.csv``'s columns as float arrays (one value per epoch)."""
    path = Path(model_dir) / LOG
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {key: np.array([float(r[key]) for r in rows]) for key in LOG_COLUMNS}
    except (OSError, KeyError, ValueError) as exc:
        raise FCNRError(f"{path}: cannot read the INR training log ({exc}); train the INR again") from exc


def score(run: RunDir, images_root: str | os.PathLike, views, split: dict[tuple[int, int], str],
          metrics=image_metrics) -> list:
    """Returns one metrics row per image of the run's bitstream, its decoded image scored against the truth."""
    bitstream = read_header(run.bitstream)
    height, width = bitstream.config["image"]
    share = bitstream.size / len(bitstream.images)
    rows = []
    for t, view in bitstream.images:
        if (t, view) not in split:
            raise FCNRError(f"split: no row for t={t}, view={view}; rerun the split rule")
        truth = read_image(image_path(timestep_dir(images_root, t), view))
        decoded = read_image(image_path(timestep_dir(run.decoded, t), view))
        if decoded.shape != truth.shape:
            raise FCNRError(f"{run.decoded}: t={t} view {view} is {decoded.shape[:2]}, the truth {truth.shape[:2]}")
        rows.append({"t": t, "view": view, "theta": float(views[view]["theta"]), "phi": float(views[view]["phi"]),
                     "split": split[t, view], **metrics(truth, decoded), "bytes": share,
                     "bpp": 8 * share / (height * width)})  # fmt: skip
    return rows


def timing(run: RunDir) -> dict[str, Any]:
    """Returns the run's training, encoding, loading and decoding seconds, ET (hours) and DT (seconds)."""
    train = read_json(run.model / "train_summary.json")
    enc, dec = read_json(run.encode_json), read_json(run.decode_json)
    return {
        "training_seconds": train["seconds"], "training_epochs": train["epochs"],
        "epochs_planned": train["epochs_planned"], "encoding_seconds": enc["seconds"],
        "load_seconds": dec["load_seconds"], "decoding_seconds": dec["decode_seconds"],
        "seconds_per_image": dec["seconds_per_image"], "images": dec["images"], "bytes": enc["bytes"],
        "et_hours": (train["seconds"] + enc["seconds"]) / 3600,
        "dt_seconds": dec["load_seconds"] + dec["decode_seconds"],
    }  # fmt: skip
