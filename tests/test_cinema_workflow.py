"""A Cinema database as a dataset: exported from a run, named by a `kind: cinema` manifest, and
taken by the test config's workflow to a report without the volumes and render stages."""

from __future__ import annotations

import csv
import json

import pytest
from test_workflow import job_counts, snakemake

from fcnr.cli import main
from render.views import read_views

pytestmark = pytest.mark.slow

DS = "tiny-cdb"
MANIFEST = """\
name: tiny-cdb
description: the tiny run's decoded IR images, exported as a Cinema database
source:
  kind: cinema
  path: ../tiny-ir.cdb
  modes: {ir: FILE}
total_timesteps: 3
timesteps: {start: 0, count: 3}
"""


def test_an_exported_database_runs_through_the_workflow(tiny_run, tmp_path):
    assert main(["cinema", "export", str(tiny_run), "--mode", "ir", "--out", str(tmp_path / "tiny-ir.cdb"),
                 "--device", "cpu"]) == 0  # fmt: skip
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / f"{DS}.yaml").write_text(MANIFEST)  # the database's path is relative to the manifest
    env, work = {"FCNR_DATA": str(tmp_path / "data")}, tmp_path / "work"
    work.mkdir()
    overlay = tmp_path / "two.yaml"  # two of the three timesteps keep the test within its time budget
    overlay.write_text("timesteps: {count: 2}\nevaluate: {lpips: false}\n")
    target = f"results/{DS}/report.html"
    counts = job_counts(snakemake(work, "-n", target, env=env, overlay=overlay).stdout)
    assert counts["cinema_views"] == 1 and counts["cinema_images"] == 2 and counts["train"] == 1
    assert not {"volumes", "views", "render"} & set(counts), counts

    snakemake(work, target, env=env, overlay=overlay)
    res = work / "results" / DS
    views, original = read_views(res / "views.csv"), read_views(tiny_run / "views.csv")
    assert views["index"].tolist() == original["index"].tolist()
    for k, t in enumerate((3, 4)):
        for view in (0, 7, 11):
            imported = (res / "ir" / "images" / f"t{k:04d}" / f"v{view:04d}.png").read_bytes()
            assert imported == (tiny_run / "ir" / "decoded" / f"t{t:04d}" / f"v{view:04d}.png").read_bytes()
    with open(res / "ir" / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(int(r["t"]), int(r["view"])) for r in rows} == {(t, v) for t in range(2) for v in range(12)}
    settings = json.loads((res / "settings.json").read_text())
    assert settings["modes"] == ["ir"] and settings["n_views"] == 12 and settings["volume_shape"] == []
    assert not (res / "dvr").exists() and not (res / "volumes").exists()
    html = (res / "report.html").read_text()
    assert 'class="error"' not in html and "tiny-cdb" in html
    again = snakemake(work, "-n", target, env=env, overlay=overlay)
    assert "Nothing to be done" in again.stdout + again.stderr
