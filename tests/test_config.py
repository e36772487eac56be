"""The workflow's configs: every shipped config plans every dataset's report; bad ones name the key."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fcnr.baselines.schemas import load_schema
from fcnr.training.base_model import init_candidates
from render.basics.schema import load_yaml, validate

REPO = Path(__file__).resolve().parents[1]
CONFIGS = ["config.yaml", "test.yaml", "paper.yaml", "hires.yaml"]
DATASETS = ["vortex", "tangaroa", "tornado"]


def dry_run(tmp_path: Path, *configs: Path, targets=("results/tornado/report.html",),
            jobs: bool = False) -> subprocess.CompletedProcess:  # fmt: skip
    """Returns a Snakemake dry run of ``targets`` with ``configs`` overlaid on config/config.yaml.

    Quiet (the job table only), or with ``jobs`` every job's resources and shell command.
    """
    verbosity = ["-p"] if jobs else ["--quiet", "rules"]
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
           "-n", *verbosity, "--cores", "2", *targets]  # fmt: skip
    if configs:
        cmd += ["--configfile", *map(str, configs)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def job_counts(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """Returns {rule: jobs} from a quiet dry run's job table."""
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, re.M)}


@pytest.mark.parametrize("name", CONFIGS)
def test_shipped_configs_are_complete_and_valid(name):
    schema = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    document = load_yaml(REPO / "config" / name)
    # Each file sets every section itself, so it reads on its own (not only as an overlay).
    assert set(schema["required"]) <= set(document)
    validate(document, schema, name)


@pytest.mark.parametrize("name", CONFIGS)
def test_every_dataset_report_is_a_target(tmp_path, name):
    proc = dry_run(tmp_path, REPO / "config" / name, targets=[f"results/{ds}/report.html" for ds in DATASETS])
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc)
    timesteps = yaml.safe_load((REPO / "config" / name).read_text())["timesteps"]["count"] or 30
    assert counts["report"] == 3 and counts["volumes"] == 3 and counts["train"] == 3 * 2
    assert counts["render"] == counts["evaluate_timestep"] == 3 * 2 * timesteps
    assert counts["compress"] == counts["decompress"] == 3 * 2  # one coding job per dataset and mode


def test_paper_config_has_the_papers_scale():
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    assert 10 * paper["views"]["frequency"] ** 2 + 2 == 812 and paper["render"]["size"] == 1024
    assert paper["timesteps"]["count"] is None and paper["volumes"]["max_side"] is None
    assert (paper["train"]["N"], paper["train"]["M"], paper["train"]["heads"], paper["train"]["epochs"]) == (192, 48, 2, 3)
    assert paper["overrides"]["tornado"]["train"]["epochs"] == 1


def test_hires_config_is_the_default_run_at_512_with_crops():
    hires, default = (yaml.safe_load((REPO / "config" / name).read_text()) for name in ("hires.yaml", "config.yaml"))
    assert 10 * hires["views"]["frequency"] ** 2 + 2 == 92 and hires["timesteps"]["count"] == 6
    assert hires["render"]["size"] == 512 and hires["modes"] == ["ir", "dvr"]
    assert hires["train"]["crop"] < hires["render"]["size"]  # fine-tunes train on windows
    # the yardstick's recipe: the lambda points as long as the main fine-tune, at a lower peak lr
    assert hires["baselines"]["learned"]["finetune_steps"] == hires["train"]["max_steps"]
    assert hires["train"]["lr"] < default["train"]["lr"]
    assert hires["baselines"]["enabled"] and hires["train"]["N"] == default["train"]["N"]
    for mode in hires["modes"]:  # warm-started from base models that saw renders at the run's size
        for folder in init_candidates(hires["train"]["init"], mode):
            base = json.loads((REPO / folder / "base.json").read_text())
            assert hires["render"]["size"] in {images["size"] for images in base["images"]}



def test_hires_jobs_ask_for_measured_memory_and_skip_flip(tmp_path):
    # Measured peaks at 512²: coding 1.0-1.2 GB, a 256²-window fine-tune 1.2 GB (README, SLURM section).
    proc = dry_run(tmp_path, REPO / "config" / "hires.yaml", jobs=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    asked = {rule: int(mb) for rule, mb in re.findall(r"^rule (\w+):.*?mem_mb=(\d+)", proc.stdout, re.M | re.S)}
    assert 1_500 < asked["compress"] < 4_000 and 1_500 < asked["decompress"] < 4_000
    assert 1_500 < asked["train"] < 6_000  # 4 GB + 16 KB per pixel of a 256² window
    command = re.compile(r"Shell command: OMP_NUM_THREADS=\d+ fcnr (evaluate timestep|baseline) ")
    scoring = [line for line in proc.stdout.splitlines() if command.match(line)]
    assert len(scoring) > 2 * 6 and all("--no-flip" in line for line in scoring)


BASE_CONFIGS = sorted(path.name for path in (REPO / "config").glob("base-*.yaml"))


@pytest.mark.parametrize("name", BASE_CONFIGS)
def test_base_configs_plan_the_models_they_published(tmp_path, name):
    document = yaml.safe_load((REPO / "config" / name).read_text())
    section, modes = document["base"], document.get("modes", ["ir", "dvr"])
    proc = dry_run(tmp_path, REPO / "config" / name, targets=["base_model"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc)
    assert counts["base_train"] == counts["base_publish"] == len(modes)
    for mode in modes:  # the committed model is what the config trains
        base = json.loads((REPO / section["publish"] / mode / "base.json").read_text())
        assert [images["size"] for images in base["images"]] == [size["size"] for size in section["render"]["sizes"]]
        assert base["train"] == section["train"] and base["command"].endswith(f"--configfile config/{name}")


def test_train_init_may_name_a_base_per_mode(tmp_path):
    overlay = tmp_path / "per-mode.yaml"
    overlay.write_text(yaml.safe_dump({"train": {"init": {"ir": "fcnr/zoo/base-512/ir", "dvr": None}}}))
    targets = [f"results/tornado/{mode}/model/weights.safetensors" for mode in ("ir", "dvr")]
    proc = dry_run(tmp_path, overlay, targets=targets, jobs=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trains = [line for line in proc.stdout.splitlines() if " fcnr train " in line]
    ir, dvr = (next(line for line in trains if f"--out results/tornado/{mode}/model" in line) for mode in ("ir", "dvr"))
    assert re.search(r"--init \S*fcnr/zoo/base-512/ir\b", ir) and "--init" not in dvr
    overlay.write_text(yaml.safe_dump({"train": {"init": {"mip": "fcnr/zoo/base-512/ir"}}}))
    proc = dry_run(tmp_path, overlay, targets=targets)
    assert proc.returncode != 0 and "train.init" in proc.stdout + proc.stderr


def test_each_lambda_point_starts_from_the_base_trained_nearest_its_lambda(tmp_path):
    long = REPO / "fcnr" / "zoo" / "base-512-long" / "dvr"
    low = tmp_path / "base-low" / "dvr"  # base-512-long as if trained at lambda 5
    shutil.copytree(long, low)
    provenance = json.loads((low / "base.json").read_text())
    provenance["train"]["lambda"] = 5
    (low / "base.json").write_text(json.dumps(provenance))
    overlay = tmp_path / "bases.yaml"
    init = {"ir": "fcnr/zoo/base-512/ir", "dvr": [str(long), str(low)]}
    overlay.write_text(yaml.safe_dump({"train": {"init": init}}))
    proc = dry_run(tmp_path, REPO / "config" / "hires.yaml", overlay, jobs=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trains = [line for line in proc.stdout.splitlines() if " fcnr train " in line]
    inits = {re.search(r"--out (\S+)", line)[1]: re.search(r"--init (\S+)", line)[1] for line in trains}
    dvr = "results/tornado/dvr/"
    assert inits[dvr + "model"] == str(long)  # the main lambda, 1000
    assert inits[dvr + "baselines/fcnr/lambda100/model"] == str(long)  # 100 lies nearer 1000 than 5 (log scale)
    assert inits[dvr + "baselines/fcnr/lambda5/model"] == str(low)
    assert inits["results/tornado/ir/baselines/fcnr/lambda5/model"].endswith("fcnr/zoo/base-512/ir")
    (low / "base.json").unlink()  # choosing by lambda needs each listed base's base.json
    proc = dry_run(tmp_path, REPO / "config" / "hires.yaml", overlay, targets=[dvr + "model/weights.safetensors"])
    assert proc.returncode != 0
    assert f"train.init: {low}: no base.json, so the lambda it was trained at is unknown" in proc.stdout + proc.stderr


SCHEMA_ERRORS = {
    "rendr": ({"size": 64}, "rendr: Additional properties are not allowed"),
    "views": ({"frequency": 0}, "views.frequency: 0 is less than the minimum of 1"),
    "train": ({"N": "wide"}, "train.N: 'wide' is not valid"),
    "modes": (["ir", "mip"], "modes.1: 'mip' is not one of"),
}


def test_schema_errors_name_every_bad_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({key: value for key, (value, _) in SCHEMA_ERRORS.items()}))
    proc = dry_run(tmp_path, bad)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for _, expected in SCHEMA_ERRORS.values():
        assert expected in out, out[-2000:]
    assert "bad.yaml" in out  # the message names the file


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        ({"overrides": {"nosuch": {}}}, "overrides: unknown dataset 'nosuch'; known datasets:"),
        ({"overrides": {"tornado": {"train": {"epochs": -1}}}}, "(with overrides.tornado): train.epochs"),
        ({"timesteps": {"count": 31}}, "timesteps.count: 31 is more than the 30 timesteps"),
    ],
)
def test_bad_dataset_settings_name_the_key(tmp_path, overlay, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(overlay))
    proc = dry_run(tmp_path, bad)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert expected in out and "bad.yaml" in out, out[-2000:]
