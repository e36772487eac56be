# Helpers shared by the rules: the validated per-dataset settings and the paths they imply.

import copy
import json
import os
import sys
from functools import cache
from pathlib import Path

from snakemake.exceptions import WorkflowError

from basics.errors import FCNRError
from basics.schema import load_yaml, validate
from fcnr.codec.model_files import model_id
from fcnr.training.split import training_timesteps
from render.manifest import load_manifest, used_timesteps

# Jobs run `fcnr` from the environment Snakemake itself runs in, whether or not it is activated.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

SCHEMAS = Path(workflow.basedir) / "workflow" / "schemas"
CONFIG_SCHEMA = load_yaml(SCHEMAS / "config.schema.yaml")
BASELINES_SCHEMA = SCHEMAS / "baselines.schema.yaml"
# `fcnr train` option for each key of the config's `train` section.
TRAIN_FLAGS = {
    "variant": "--variant", "N": "--N", "M": "--M", "heads": "--heads", "lambda": "--lambda",
    "lr": "--lr", "lr_schedule": "--lr-schedule", "warmup": "--warmup", "epochs": "--epochs",
    "batch_size": "--batch-size", "crop": "--crop", "checkpoint_every": "--checkpoint-every",
    "max_steps": "--max-steps", "seed": "--seed", "device": "--device", "precision": "--precision",
}
# Functions wildcards -> list of paths: extra inputs of the report (baselines add theirs).
REPORT_INPUTS = []

# A dataset name; results/base/ holds the base model's data (every path has "/" after {ds}).
DS_PATTERN = r"(?!base/)[a-z0-9_-]+"

wildcard_constraints:
    ds=DS_PATTERN,
    mode=r"ir|dvr",
    t=r"\d{4}",


def config_source():
    """Returns how error messages name the configuration: config/config.yaml and what overlays it."""
    files = [repo_relative(Path(workflow.basedir) / "config" / "config.yaml")]
    files += [repo_relative(f) for f in workflow.config_settings.configfiles]
    if workflow.config_settings.config:
        files.append("--config")
    return " + ".join(files)


def deep_merge(base, extra):
    """Returns ``base`` with ``extra`` merged in, key by key for nested mappings (copies, no aliasing)."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def check_config(cfg):
    """Validates ``cfg`` in place (schema defaults filled in); raises a WorkflowError naming the bad key."""
    try:
        validate(cfg, CONFIG_SCHEMA, config_source())
        if BASELINES_SCHEMA.exists():
            validate(cfg["baselines"], load_yaml(BASELINES_SCHEMA), f"{config_source()}: baselines")
    except FCNRError as exc:
        raise WorkflowError(str(exc)) from None
    for key in ("datasets", "overrides"):
        for ds in cfg[key]:
            try:
                load_manifest(ds)
            except FCNRError as exc:
                raise WorkflowError(f"{config_source()}: {key}: {exc}") from None
            settings(ds)


@cache
def manifest(ds):
    """Returns the dataset's validated manifest (data/{ds}.yaml); unknown names list the known ones."""
    try:
        return load_manifest(ds)
    except FCNRError as exc:
        raise WorkflowError(str(exc)) from None


@cache
def settings(ds):
    """Returns the config sections for dataset ``ds``: the global ones with ``overrides.{ds}`` merged in."""
    base = {key: value for key, value in config.items() if key != "overrides"}
    merged = deep_merge(base, config["overrides"].get(ds, {}))
    try:
        validate(merged, CONFIG_SCHEMA, f"{config_source()} (with overrides.{ds})")
        if BASELINES_SCHEMA.exists():
            validate(merged["baselines"], load_yaml(BASELINES_SCHEMA), f"{config_source()}: baselines (dataset {ds})")
    except FCNRError as exc:
        raise WorkflowError(str(exc)) from None
    available = used_timesteps(manifest(ds))
    count = merged["timesteps"]["count"]
    if count is not None and count > len(available):
        raise WorkflowError(
            f"{config_source()}: timesteps.count: {count} is more than the {len(available)} timesteps "
            f"{manifest(ds)['path']} uses; lower it or set it to null"
        )
    return merged


def timesteps(ds):
    """Returns the timesteps the run uses: the first ``timesteps.count`` of the manifest's."""
    return used_timesteps(manifest(ds))[: settings(ds)["timesteps"]["count"]]


def train_timesteps(ds):
    """Returns the timesteps that hold training images (1/3 of them, evenly chosen)."""
    return training_timesteps(timesteps(ds))


def n_views(ds):
    """Returns the number of views: 10 f^2 + 2 for icosphere frequency f (a Cinema database's own: cinema.smk)."""
    if is_cinema(ds):
        return cinema_view_count(ds)
    return 10 * settings(ds)["views"]["frequency"] ** 2 + 2


def modes(ds):
    """Returns the rendering modes of dataset ``ds`` (of a Cinema database, those it has: cinema.smk)."""
    return cinema_modes(ds) if is_cinema(ds) else settings(ds)["modes"]


def tstr(t):
    """Returns timestep ``t`` as it appears in paths: four digits."""
    return f"{int(t):04d}"


def volume_shape(ds):
    """Returns the grid the run generates: the manifest's shape, shrunk to ``volumes.max_side`` if larger."""
    shape = manifest(ds).get("shape")
    if shape is None:  # a Cinema database: images, no volumes
        return []
    side = settings(ds)["volumes"]["max_side"]
    if side is None or max(shape) <= side:
        return list(shape)
    return [max(8, round(n * side / max(shape))) for n in shape]


def image_dir(ds, mode, t):
    """Returns the folder of one timestep's rendered images."""
    return f"results/{ds}/{mode}/images/t{tstr(t)}"


def per_timestep(folder, ts, suffix=""):
    """Returns the space-separated paths ``folder/t{t:04d}{suffix}`` of timesteps ``ts`` (one command argument each)."""
    return " ".join(f"{folder}/t{tstr(t)}{suffix}" for t in ts)


def compress_args(ts, shards, timing):
    """Returns the `fcnr compress` options of one job: every timestep's number, shard and timing file."""
    numbers = " ".join(str(int(t)) for t in ts)
    return (f"--timestep {numbers} --out {per_timestep(shards, ts, '.fcnr')} "
            f"--timing-json {per_timestep(timing, ts, '.json')}")


def decompress_args(ts, shards, decoded, timing):
    """Returns the `fcnr decompress` shards and options of one job: every timestep's shard, folder and timing file."""
    return (f"{per_timestep(shards, ts, '.fcnr')} --out {per_timestep(decoded, ts)} "
            f"--timing-json {per_timestep(timing, ts, '.json')}")


MODEL_FILES = ("config.json", "weights.safetensors", "train_log.csv", "train_summary.json")


def model_files(ds, mode):
    """Returns the files of a trained model directory that later rules depend on."""
    return [f"results/{ds}/{mode}/model/{name}" for name in MODEL_FILES]


def section_args(section):
    """Returns the `fcnr train` options of a ``train`` section (null keys left out; init apart)."""
    return " ".join(f"{flag} {section[key]}" for key, flag in TRAIN_FLAGS.items() if section.get(key) is not None)


def train_args(ds):
    """Returns the `fcnr train` options of the config's ``train`` section."""
    return section_args(settings(ds)["train"])


def init_dir(ds, mode):
    """Returns the warm-start model folder of a dataset mode (train.init, {mode} filled in), or None.

    A relative path is looked up in the working directory, then in the repository (the committed
    base models); one under results/ is left as it is, for a rule of this workflow to make.
    """
    value = settings(ds)["train"].get("init")
    if not value:
        return None
    path = Path(value.replace("{mode}", mode))
    if path.is_absolute() or made_here(path) or path.exists() or not (Path(workflow.basedir) / path).exists():
        return str(path)
    return str(Path(workflow.basedir) / path)


def made_here(path):
    """Returns True for a path under results/: an output of this workflow, not a file it is given."""
    return not Path(path).is_absolute() and Path(path).parts[:1] == ("results",)


def init_input(wildcards):
    """Returns the warm start's files as inputs when this workflow makes them (e.g. the test config's base)."""
    folder = init_dir(wildcards.ds, wildcards.mode)
    return [f"{folder}/{name}" for name in MODEL_FILES] if folder and made_here(folder) else []


def init_flag(wildcards):
    """Returns the `fcnr train --init DIR` option of a dataset mode ("" when training from scratch)."""
    folder = init_dir(wildcards.ds, wildcards.mode)
    return f"--init {folder}" if folder else ""


def init_param(wildcards):
    """Returns the warm start as a param: its folder and, for a given model, its id (a new one reruns training)."""
    folder = init_dir(wildcards.ds, wildcards.mode)
    if not folder or made_here(folder):
        return as_json({"init": folder})
    try:
        return as_json({"init": folder, "model_id": model_id(folder)})
    except FCNRError as exc:
        raise WorkflowError(f"{config_source()}: train.init: {exc}; build the base model with "
                            "`snakemake --cores 2 base_model`, or set train.init: null to train from scratch") from None


def as_json(value):
    """Returns ``value`` as canonical JSON: params that rerun a rule when the value changes."""
    return json.dumps(value, sort_keys=True)


def repo_relative(path):
    """Returns ``path`` relative to the workflow's folder when inside it (stable across checkouts)."""
    path = Path(path).resolve()
    base = Path(workflow.basedir).resolve()
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def run_settings(ds):
    """Returns what the report shows as the run's settings: config, manifest and derived sizes."""
    return {
        "dataset": ds,
        "config_files": [repo_relative(f) for f in workflow.configfiles],
        "config": settings(ds),
        "manifest": {**manifest(ds), "path": repo_relative(manifest(ds)["path"])},
        "volume_shape": volume_shape(ds),
        "timesteps": timesteps(ds),
        "train_timesteps": train_timesteps(ds),
        "n_views": n_views(ds),
        "modes": modes(ds),
    }


def report_inputs(wildcards):
    """Returns every file the report of ``wildcards.ds`` reads, including the baselines' additions."""
    ds = wildcards.ds
    files = [f"results/{ds}/settings.json", f"results/{ds}/views.csv", f"results/{ds}/split.csv"]
    for mode in modes(ds):
        root = f"results/{ds}/{mode}"
        files += [f"{root}/metrics.csv", f"{root}/summary.json", f"{root}/timing.json"]
        files += model_files(ds, mode)
        files.append(f"{root}/decoded")
    for extra in REPORT_INPUTS:
        files += list(extra(wildcards))
    return files


# Scheduling on a few cores: renders first (every later stage waits on them), then FCNR's trainings
# (the main model and its lambda points), its coding and scoring, then the INRs' train-decode-score
# chains; the classical codecs' many short independent jobs fill the cores to the end.
PRIORITY = {"render": 40, "train": 30, "learned": 25, "code": 20, "inr": 5}
