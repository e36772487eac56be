"""The whole workflow on config/test.yaml in a temporary folder: outputs, caching, and the report in Chromium.

One run of the workflow (module fixture ``run_dir``) serves every test here. The baselines
(issue 6, tested by tests/test_baseline*.py) are switched off: these tests cover FCNR's own
stages and keep to their time budget.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcnr.codec.shard import read_shard
from fcnr.evaluation.evaluate import METRIC_COLUMNS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / "config" / "test.yaml"
DS = "tornado"
TIMESTEPS = [0, 1, 2]  # the first 3 of tornado's used timesteps (config/test.yaml)
N_VIEWS = 12  # icosphere frequency 1
SIZE = 64
TIMING_KEYS = {"training_seconds", "encoding_seconds", "decoding_seconds", "encoding_images_per_second",
               "decoding_images_per_second", "et_hours", "dt_seconds", "images"}  # fmt: skip


def snakemake(
    workdir: Path, *args: str, overlay: Path | None = None, env: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Runs Snakemake on the repository's Snakefile in ``workdir`` with the test config (and ``overlay``)."""
    core = workdir / "core.yaml"
    core.write_text("baselines: {enabled: false}\n")
    configs = [str(TEST_CONFIG), str(core)] + ([str(overlay)] if overlay else [])
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--cores", "2", *args, "--configfile", *configs]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def job_counts(output: str) -> dict[str, int]:
    """Returns {rule: jobs} from the 'Job stats' table of a Snakemake run or dry run."""
    counts = {}
    table = output.split("Job stats:", 1)[1] if "Job stats:" in output else ""
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        counts[match[1]] = int(match[2])
    counts.pop("total", None)
    return counts


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """Returns a folder in which the test config's tornado report was built from nothing."""
    workdir = tmp_path_factory.mktemp("workflow")
    snakemake(workdir, f"results/{DS}/report.html")
    return workdir


def test_every_contract_output_exists_and_is_valid(run_dir):
    res = run_dir / "results" / DS
    with open(res / "views.csv", newline="") as handle:
        views = list(csv.DictReader(handle))
    assert len(views) == N_VIEWS and list(views[0]) == ["index", "theta", "phi", "x", "y", "z"]
    with open(res / "split.csv", newline="") as handle:
        split = list(csv.DictReader(handle))
    assert len(split) == N_VIEWS * len(TIMESTEPS)
    assert {r["split"] for r in split} == {"train", "unseen"}
    for mode in ("ir", "dvr"):
        root = res / mode
        for t in TIMESTEPS:
            pngs = sorted((root / "images" / f"t{t:04d}").glob("v*.png"))
            assert [p.name for p in pngs] == [f"v{v:04d}.png" for v in range(N_VIEWS)]
            for png in pngs[:2] + sorted((root / "decoded" / f"t{t:04d}").glob("v*.png"))[:2]:
                with Image.open(png) as im:
                    assert im.size == (SIZE, SIZE) and im.mode == "RGB"
            shard = read_shard(root / "shards" / f"t{t:04d}.fcnr")
            assert shard.header.timestep == t and (shard.header.width, shard.header.height) == (SIZE, SIZE)
            assert sorted(v for r in shard.records for v in r.views) == list(range(N_VIEWS))
        for name in ("config.json", "weights.safetensors", "train_log.csv", "train_summary.json"):
            assert (root / "model" / name).is_file()
        assert not (root / "model" / "checkpoints").exists(), "a finished training leaves no checkpoints"

        with open(root / "metrics.csv", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
        assert tuple(reader.fieldnames) == METRIC_COLUMNS
        assert len(rows) == N_VIEWS * len(TIMESTEPS)
        assert {(int(r["t"]), int(r["view"])) for r in rows} == {(t, v) for t in TIMESTEPS for v in range(N_VIEWS)}
        assert all(math.isfinite(float(r["psnr"])) and 0 < float(r["msssim"]) <= 1 for r in rows)
        assert all(float(r["bytes"]) > 0 and float(r["bpp"]) > 0 for r in rows)
        # Bytes per image add up to the shard files (header shares included).
        shard_bytes = sum((root / "shards" / f"t{t:04d}.fcnr").stat().st_size for t in TIMESTEPS)
        assert sum(float(r["bytes"]) for r in rows) == pytest.approx(shard_bytes)

        timing = json.loads((root / "timing.json").read_text())
        assert TIMING_KEYS <= set(timing) and timing["images"] == len(rows)
        assert timing["training_seconds"] > 0 and timing["decoding_seconds"] > 0
        summary = json.loads((root / "summary.json").read_text())
        assert summary["bpp_with_decoder"] > summary["bpp_shards"] > 0
        assert summary["lpips"]["available"] or summary["lpips"]["reason"]

    # The test config's base model trained on two image sizes; base.json says which images at each.
    base = json.loads((run_dir / "results" / "base" / "zoo" / "ir" / "base.json").read_text())
    assert [(i["size"], i["views"]["count"], i["timesteps"]) for i in base["images"]] == [
        (64, 12, {"tornado": [30, 31]}), (32, 12, {"tornado": [30]})]  # fmt: skip
    assert base["datasets"]["tornado"]["timesteps"] == [30, 31] and base["init"] is None
    summary = json.loads((run_dir / "results" / "base" / "zoo" / "ir" / "train_summary.json").read_text())
    assert sorted(s["image_size"][0] for s in summary["sources"]) == [32, 64]

    html = (res / "report.html").read_text()
    assert "12 views at 64², 12 views at 32²" in html
    assert len(html) > 50_000 and html.count("<table") >= 5 and "data:image/png;base64," in html
    assert 'class="error"' not in html, "a report section failed"
    for log in ("volumes.log", "views.log", "ir/train.log", "dvr/render/t0000.log", "ir/compress.log",
                "dvr/decompress.log", "ir/evaluate/t0000.log", "report.log"):  # fmt: skip
        assert (run_dir / "logs" / DS / log).is_file(), log


def test_rerun_does_nothing(run_dir):
    proc = snakemake(run_dir, "-n", f"results/{DS}/report.html")
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-3000:]


def test_render_setting_change_reruns_rendering_not_volumes(run_dir, tmp_path):
    overlay = tmp_path / "smaller.yaml"
    overlay.write_text("render: {size: 48}\n")
    counts = job_counts(snakemake(run_dir, "-n", f"results/{DS}/report.html", overlay=overlay).stdout)
    assert counts.get("render") == 2 * len(TIMESTEPS)
    assert counts.get("train") == 2 and counts.get("report") == 1
    assert "volumes" not in counts and "views" not in counts


def test_manifest_render_change_reruns_rendering_not_volumes(run_dir, tmp_path):
    manifest = (REPO / "data" / f"{DS}.yaml").read_text()
    isovalue = re.search(r"^(\s+isovalue:\s*)([0-9.]+)", manifest, re.M)
    changed = manifest.replace(isovalue[0], f"{isovalue[1]}{float(isovalue[2]) * 1.1:.4f}", 1)
    (tmp_path / f"{DS}.yaml").write_text(changed)
    counts = job_counts(snakemake(run_dir, "-n", f"results/{DS}/report.html", env={"FCNR_DATA": str(tmp_path)}).stdout)
    assert counts.get("render") == 2 * len(TIMESTEPS) and counts.get("report") == 1
    assert "volumes" not in counts


def test_the_shards_of_a_mode_build_only_what_they_need(tmp_path):
    counts = job_counts(snakemake(tmp_path, "-n", f"results/{DS}/ir/shards").stdout)
    # Training images come from the first timestep only; the shards need every timestep. No DVR.
    # The test config warm-starts from a tiny IR base model built under results/ (two timesteps).
    # Its two sizes: 64^2 renders both base timesteps, 32^2 every second one.
    base = {"base_volumes": 1, "base_views": 1, "base_split": 2, "base_render": 3, "base_train": 1, "base_publish": 1}
    expected = {"volumes": 1, "views": 1, "split": 1, "render": len(TIMESTEPS), "train": 1, "compress": 1}
    assert counts == expected | base


def test_lambda_point_fine_tunes_the_base_not_the_main_model(tmp_path):
    # With train.init set, a learned point starts where the main model starts, not after it.
    target = f"results/{DS}/ir/baselines/fcnr/lambda4000/model/weights.safetensors"
    proc = snakemake(tmp_path, "-n", "-p", target)
    counts = job_counts(proc.stdout)
    assert counts["baseline_train"] == 1 and counts["base_publish"] == 1 and "train" not in counts
    assert "--init results/base/zoo/ir" in proc.stdout
    # A finished fine-tune deletes its checkpoints (a rerun with other steps must start over).
    assert f"rm -rf results/{DS}/ir/baselines/fcnr/lambda4000/model/checkpoints" in proc.stdout


# ---- the report in a real browser ------------------------------------------------------------

# Appended to a copy of the report: marks the body once every image has loaded (or failed).
PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  document.body.dataset.images = imgs.length;
  document.body.dataset.decoded = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
});
</script>"""


class DomCounter(HTMLParser):
    """Counts tables, header cells and images, and reads the probe's body attributes."""

    def __init__(self):
        super().__init__()
        self.tables = self.images = 0
        self.body: dict[str, str] = {}
        self.headers: list[str] = []
        self._in_th = False

    def handle_starttag(self, tag, attrs):
        self.tables += tag == "table"
        self.images += tag == "img"
        self._in_th = tag == "th"
        if tag == "body":
            self.body = dict(attrs)

    def handle_data(self, data):
        if self._in_th and data.strip():
            self.headers.append(data.strip())

    def handle_endtag(self, tag):
        self._in_th = self._in_th and tag != "th"


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    """Runs headless Chromium with a throw-away profile and no network services."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (bash .ci/install --test installs it)")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_report_opens_in_headless_chromium(run_dir, tmp_path):
    page = tmp_path / "report.html"
    page.write_text((run_dir / "results" / DS / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    proc = chromium("--virtual-time-budget=10000", "--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    dom = DomCounter()
    dom.feed(proc.stdout)
    assert dom.tables >= 5, proc.stderr[-2000:]
    for label in ("PSNR (dB)", "LPIPS", "MS-SSIM", "BPP", "ET (h)", "DT (s)", "IR", "DVR"):
        assert label in dom.headers
    assert dom.images >= 10
    assert dom.body.get("data-images") == str(dom.images)
    assert dom.body.get("data-decoded") == str(dom.images), "some images did not decode in the browser"

    shot = tmp_path / "report.png"
    chromium("--window-size=1200,2400", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile")
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("L"), dtype=np.float64)
    assert pixels.shape == (2400, 1200) and pixels.std() > 10, "the screenshot is blank"
