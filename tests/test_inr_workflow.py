"""The INR rules on config/test.yaml: train, decode from the bitstream, evaluate, RD points and the report.

One workflow run (module fixture) on IR only, without the classical codecs and the lambda sweep, so
that every INR rule runs in about a minute on top of FCNR's own stages.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fcnr.evaluation.rd import read_table
from fcnr.images import read_image

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DS, SIZE, N_VIEWS, T = "tornado", 64, 12, 2  # config/test.yaml: the INRs represent the last timestep's 12 views
RUNS = {"enerv": 9000, "hnerv": 25000, "nervi": 9500}
OVERLAY = """\
modes: [ir]
baselines:
  classical: {jpeg: [], webp: [], avif: [], jpegxl: [], hevc: [], av1: []}
  learned: {lambdas: [], sweep: [fcnr], variants: []}
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("inr-workflow")
    (workdir / "overlay.yaml").write_text(OVERLAY)
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--cores", "2", f"results/{DS}/report.html", "--configfile", str(REPO / "config" / "test.yaml"),
           str(workdir / "overlay.yaml")]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, check=False)
    if proc.returncode != 0:
        pytest.fail(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return workdir


def folder(run_dir: Path, method: str) -> Path:
    return run_dir / "results" / DS / "ir" / "baselines" / method / f"p{RUNS[method]}"


@pytest.mark.parametrize("method", RUNS)
def test_each_inr_run_scores_its_decoded_images_with_bytes_from_the_file(run_dir, method):
    run = folder(run_dir, method)
    assert not (run / "model" / "checkpoints").exists(), "a finished training leaves no checkpoints"
    with open(run / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((int(r["t"]), int(r["view"])) for r in rows) == [(T, v) for v in range(N_VIEWS)]
    size = (run / "bitstream.inr").stat().st_size
    assert sum(float(r["bytes"]) for r in rows) == pytest.approx(size)
    assert all(float(r["bpp"]) == pytest.approx(8 * size / (N_VIEWS * SIZE * SIZE)) for r in rows)
    assert all(np.isfinite(float(r["psnr"])) and 0 <= float(r["flip"]) <= 1 for r in rows)
    timing = json.loads((run / "timing.json").read_text())
    assert timing["training_seconds"] > 0 and timing["load_seconds"] > 0 and timing["images"] == N_VIEWS
    assert timing["dt_seconds"] == pytest.approx(timing["load_seconds"] + timing["decoding_seconds"])
    assert (run_dir / "logs" / DS / "ir" / "baselines" / f"{method}-p{RUNS[method]}" / "train.log").is_file()


def test_rd_table_has_every_inr_beside_fcnr(run_dir):
    points = {p["method"]: p for p in read_table(run_dir / "results" / DS / "ir" / "baselines" / "rd.csv")}
    assert set(points) == {"fcnr", *RUNS}
    for method, size in RUNS.items():
        assert points[method]["setting"] == "params" and points[method]["value"] == size
        assert points[method]["images"] == N_VIEWS and points[method]["et_hours"] > 0


def test_report_has_the_measured_rows_curves_and_comparisons(run_dir):
    html = (run_dir / "results" / DS / "report.html").read_text()
    assert 'class="error"' not in html
    for name in ("inr_training", "inr_zoom"):
        assert f'<section id="{name}">' in html
    summary = re.search(r'<section id="summary">(.*?)</section>', html, re.DOTALL).group(1)
    for row in ("E-NeRV (paper)", "E-NeRV (this run, 9,000 parameters)", "HNeRV (this run, 25,000 parameters)",
                "NeRVI (paper)", "NeRVI-like (this run, 9,500 parameters)", "FCNR (this run, all images)"):  # fmt: skip
        assert f"<td>{row}</td>" in summary, row
    assert "not run for" not in summary  # IR only in this run, and IR is the only mode
    assert "the INR training curves say where each run stands" in summary
    training = re.search(r'<section id="inr_training">(.*?)</section>', html, re.DOTALL).group(1)
    assert training.count("<tr>") == 1 + len(RUNS) and "<img" in training


def test_an_image_decodes_from_the_copied_file_alone(run_dir, tmp_path):
    run = folder(run_dir, "enerv")
    shutil.copy(run / "bitstream.inr", tmp_path / "copy.inr")
    shutil.copy(run_dir / "results" / DS / "views.csv", tmp_path / "views.csv")
    argv = ["inr", "decode", str(tmp_path / "copy.inr"), "--views", str(tmp_path / "views.csv"), "--timestep", str(T),
            "--view", "7", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, "-m", "fcnr.cli", *argv], env=os.environ | {"OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    name = Path(f"t{T:04d}") / "v0007.png"
    assert np.array_equal(read_image(tmp_path / name), read_image(run / "decoded" / name))
