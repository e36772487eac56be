"""Evaluation helpers the workflow relies on: metrics CSV, gathering, decoder bytes, timing, split."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from fcnr.evaluation.evaluate import (
    METRIC_COLUMNS,
    decoder_weights,
    gather_metrics,
    image_metrics,
    mean_metrics,
    read_metrics_csv,
    timing,
    timing_path,
    write_metrics_csv,
)
from fcnr.training.split import read_split, write_split_csv
from render.basics.errors import FCNRError


def rows_for(t, views, split="unseen"):
    return [{"t": t, "view": v, "theta": 0.1 * v, "phi": 0.2 * v, "split": split, "psnr": 30.0 + v,
             "msssim": 0.9, "flip": 0.1, "lpips": math.nan, "bytes": 50.5, "bpp": 0.25} for v in views]  # fmt: skip


def test_metrics_csv_round_trip_keeps_types_and_missing_lpips(tmp_path):
    rows = rows_for(3, range(2))
    write_metrics_csv(tmp_path / "m.csv", rows)
    assert (tmp_path / "m.csv").read_text().splitlines()[0] == ",".join(METRIC_COLUMNS)
    back = read_metrics_csv(tmp_path / "m.csv")
    assert [(r["t"], r["view"], r["split"]) for r in back] == [(3, 0, "unseen"), (3, 1, "unseen")]
    assert back[1]["psnr"] == 31.0 and math.isnan(back[0]["lpips"])
    (tmp_path / "bad.csv").write_text("t,view\n")
    with pytest.raises(FCNRError, match="expected header"):
        read_metrics_csv(tmp_path / "bad.csv")


def test_gather_requires_every_image_exactly_once(tmp_path):
    split = {(t, v): "unseen" for t in (0, 1) for v in range(2)}
    write_metrics_csv(tmp_path / "a.csv", rows_for(0, range(2)))
    write_metrics_csv(tmp_path / "b.csv", rows_for(1, range(2)))
    write_metrics_csv(tmp_path / "short.csv", rows_for(1, range(1)))
    rows = gather_metrics([tmp_path / "b.csv", tmp_path / "a.csv"], split)
    assert [(r["t"], r["view"]) for r in rows] == sorted(split)
    with pytest.raises(FCNRError, match="appears twice"):
        gather_metrics([tmp_path / "a.csv", tmp_path / "a.csv", tmp_path / "b.csv"], split)
    with pytest.raises(FCNRError, match="1 images of the split were not evaluated"):
        gather_metrics([tmp_path / "a.csv", tmp_path / "short.csv"], split)


def test_image_metrics_without_lpips():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + 3, 0, 255).astype(np.uint8)
    same = image_metrics(a, a)
    assert math.isinf(same["psnr"]) and same["msssim"] == pytest.approx(1.0) and math.isnan(same["lpips"])
    assert 30 < image_metrics(a, b)["psnr"] < 45


def test_mean_metrics_ignores_missing_values():
    means = mean_metrics(rows_for(0, range(3)))
    assert means["images"] == 3 and means["psnr"] == 31.0 and means["lpips"] is None


def test_decoder_weights_leave_out_the_encoder(tmp_path):
    tensors = {"g_a.0.weight": torch.zeros(100), "h_a.0.weight": torch.zeros(50),
               "g_s.0.weight": torch.zeros(10), "entropy_parameters.x": torch.zeros(2, 3, dtype=torch.float64)}  # fmt: skip
    save_file(tensors, tmp_path / "w.safetensors")
    assert decoder_weights(tmp_path / "w.safetensors") == {"bytes": 10 * 4 + 6 * 8, "parameters": 16}


def test_timing_sums_timesteps_and_includes_training_in_et(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "timing" / "encode").mkdir(parents=True)
    (tmp_path / "timing" / "decode").mkdir()
    (tmp_path / "model" / "train_summary.json").write_text(json.dumps({"seconds": 3600.0, "steps": 5}))
    for t in (0, 1):
        timing_path(tmp_path, "encode", t).write_text(json.dumps({"seconds": 9.0, "images": 6}))
        decoded = {"seconds": 3.0, "images": 6, **({"synthesis": "fast-fp32"} if t else {})}
        timing_path(tmp_path, "decode", t).write_text(json.dumps(decoded))
    times = timing(tmp_path, [0, 1])
    assert times["decoding_synthesis"] == "fast-fp32, reference"  # a file without the key: the reference path
    assert times["images"] == 12 and times["encoding_seconds"] == 18.0 and times["dt_seconds"] == 6.0
    assert times["et_hours"] == pytest.approx(1.005) and times["decoding_images_per_second"] == 2.0
    with pytest.raises(FCNRError, match="encode/t0002.json"):
        timing(tmp_path, [2])


def test_split_csv_is_read_back_by_the_trainer(tmp_path):
    write_split_csv(tmp_path / "split.csv", [30, 31, 32, 33], 12)
    split = read_split(tmp_path / "split.csv")
    assert len(split) == 48
    train = sorted(k for k, s in split.items() if s == "train")
    assert {t for t, _ in train} == {30, 33} and {v for _, v in train} == {0, 1, 4, 5, 8, 9}
