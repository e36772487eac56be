"""The benchmarks import as modules (``bench.NAME``) and run on tiny inputs."""

from __future__ import annotations

import importlib
import math
import pkgutil
import sys

import pytest

import bench
from bench.scoring import code_and_score, means
from bench.volumes_speed import measure, table
from fcnr.evaluation.rd import RD_COLUMNS, write_table
from render.views import read_views


@pytest.mark.parametrize("name", [m.name for m in pkgutil.iter_modules(bench.__path__)])
def test_every_benchmark_imports_as_a_module(name):
    assert callable(getattr(importlib.import_module(f"bench.{name}"), "main", None)) or name == "scoring"


def test_scoring_codes_and_scores_a_tiny_run(tiny_run, tmp_path, one_thread):
    views = read_views(tiny_run / "views.csv")
    rows = code_and_score(tiny_run / "ir" / "model", tiny_run / "ir" / "images", views, [3], tmp_path / "shards")
    assert sorted(r["view"] for r in rows) == list(range(len(views)))
    assert (tmp_path / "shards" / "t0003.fcnr").is_file()
    assert means(rows)["bpp"] > 0 and math.isfinite(means(rows)["psnr"])


def test_volumes_speed_measures_a_tiny_tornado():
    row = measure("tornado", [8, 8, 8], None)
    assert "tornado" in table([row])


def test_inr_table2_prints_a_row_per_rd_point(tmp_path, monkeypatch, capsys):
    from bench import inr_table2

    point = dict.fromkeys(RD_COLUMNS, 1.0) | {"method": "fcnr", "setting": "lambda", "value": 1000.0}
    write_table(tmp_path / "tornado" / "ir" / "baselines" / "rd.csv", [point], RD_COLUMNS)
    monkeypatch.setattr(sys, "argv", ["inr_table2", str(tmp_path / "tornado")])
    assert inr_table2.main() == 0
    assert "| tornado | IR | FCNR | lambda 1000 |" in capsys.readouterr().out


def test_capacity_counts_each_stage_and_grows_with_n(capsys):
    from bench import capacity

    capacity.main(["--sizes", "32", "--capacities", "8/4", "16/4", "--time", "--threads", "1"])
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    assert [r[0].strip() for r in rows] == ["8/4", "16/4"]
    decode = [float(r[len(capacity.STAGES) + 3]) for r in rows]
    assert 0 < decode[0] < decode[1]
    assert all(float(v) > 0 for r in rows for v in r[-5:])


def test_latent_usage_splits_the_coded_rate_by_latent(tiny_run, tmp_path, capsys):
    import csv

    from bench import latent_usage

    args = ["--models", str(tiny_run / "ir" / "model"), str(tiny_run / "dvr" / "model"), "--images",
            str(tiny_run / "dvr" / "images" / "t0003"), "--views", str(tiny_run / "views.csv"), "--timestep", "3",
            "--pairs", "2", "--threads", "1", "--out", str(tmp_path / "usage.csv")]  # fmt: skip
    assert latent_usage.main(args) == 0
    (row,) = list(csv.DictReader(open(tmp_path / "usage.csv")))
    assert row["model"].endswith("dvr/model")  # the IR model does not code DVR images
    assert sum(float(row[f"{k}_share"]) for k in ("z_l", "z_r", "y_l", "y_r")) == pytest.approx(1)
    excess_bits = (float(row["coded_bpp"]) - float(row["bpp"])) * 2 * 2 * 32 * 32  # 2 pairs of 32x32 images
    assert abs(excess_bits) <= 2 * 80  # the rANS records: the estimate plus a few bytes of coder state each
    assert all(0 <= int(row[f"{k}_live"]) <= 8 for k in ("z_l", "z_r", "y_l", "y_r"))
    assert "dvr/model" in capsys.readouterr().out


def test_latent_usage_refuses_a_folder_of_no_mode(tiny_run, tmp_path, capsys):
    from bench import latent_usage

    args = ["--models", str(tiny_run / "ir" / "model"), "--images", str(tmp_path), "--views",
            str(tiny_run / "views.csv"), "--timestep", "3"]  # fmt: skip
    assert latent_usage.main(args) == 1
    assert f"{tmp_path}: no part of the path is named ir or dvr" in capsys.readouterr().err
    args[args.index("--images") + 1] = str(tiny_run / "dvr" / "images" / "t0003")
    assert latent_usage.main(args) == 1
    assert "t0003: no --models folder of its mode (dvr)" in capsys.readouterr().err
