# Helpers shared by the rules: the validated per-dataset settings, the paths and runs they imply,
# and the threads, memory and log redirection every rule writes the same way. Every other rule file
# uses only what is defined here (and in the Python packages), never a name from another rule file.

import copy
import json
import os
import re
import sys
from functools import cache
from pathlib import Path

from snakemake.exceptions import WorkflowError

from render.basics.errors import FCNRError
from render.basics.schema import validate
from fcnr.baselines import runs
from fcnr.baselines.runs import LEARNED_RUN, compared_timesteps
from fcnr.baselines.schemas import load_schema
from fcnr.cinema.importing import plan_import
from fcnr.codec.model_files import model_id
from fcnr.commands.train import config_options
from fcnr.schemas import model_default
from fcnr.training.base_model import init_candidates, nearest_base
from fcnr.training.split import training_timesteps
from render.manifest import known_datasets, load_manifest, used_timesteps

# Jobs run `fcnr` from the environment Snakemake itself runs in, whether or not it is activated.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

SCHEMAS = Path(workflow.basedir) / "workflow" / "schemas"
CONFIG_SCHEMA = load_schema(SCHEMAS / "config.schema.yaml")
BASELINES_SCHEMA = load_schema(SCHEMAS / "baselines.schema.yaml")
# `fcnr train` option of each key of the config's `train` section, from the command's parser
# (init apart: init_flag; threads is the job's).
TRAIN_FLAGS = {key: option for key, option in config_options().items()
               if key in CONFIG_SCHEMA["$defs"]["train"]["properties"] and key != "init"}  # fmt: skip

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


def validated(cfg, where):
    """Validates a config (the whole one, or a dataset's with its overrides) in place against the
    config and baselines schemas, filling in their defaults; raises a WorkflowError naming the bad key."""
    try:
        validate(cfg, CONFIG_SCHEMA, where)
        validate(cfg["baselines"], BASELINES_SCHEMA, f"{where}: baselines")
    except FCNRError as exc:
        raise WorkflowError(str(exc)) from None
    return cfg


def check_config(cfg):
    """Validates ``cfg`` in place and every dataset's merged settings; raises a WorkflowError naming the bad key."""
    validated(cfg, config_source())
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
    merged = validated(deep_merge(base, config["overrides"].get(ds, {})), f"{config_source()} (with overrides.{ds})")
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


def init_dir(wildcards):
    """Returns the warm-start model folder of a training job (its dataset, mode and lambda), or None.

    train.init with {mode} filled in; where it lists several base models, the one trained at the
    lambda nearest the job's (training_lambda). A relative path is looked up in the working
    directory, then in the repository (the committed base models); one under results/ is left as it
    is, for a rule of this workflow to make.
    """
    return resolve_init(settings(wildcards.ds)["train"].get("init"), wildcards.mode, training_lambda(wildcards))


def resolve_init(value, mode, lmbda):
    """Returns a `train.init` value's folder for one mode's training at ``lmbda`` (see init_dir), or None."""
    folders = [located(folder) for folder in init_candidates(value, mode)]
    try:
        return nearest_base(folders, lmbda) if folders else None
    except FCNRError as exc:
        raise WorkflowError(f"{config_source()}: train.init: {exc}") from None


def located(folder):
    """Returns a warm start's folder: as given, or in the repository when only there."""
    path = Path(folder)
    if path.is_absolute() or made_here(path) or path.exists() or not (Path(workflow.basedir) / path).exists():
        return str(path)
    return str(Path(workflow.basedir) / path)


def training_lambda(wildcards):
    """Returns the lambda a training job runs at: a learned point's own, else the run's main lambda."""
    return float(wildcards.lam) if "lam" in wildcards.keys() else runs.main_lambda(settings(wildcards.ds))


def made_here(path):
    """Returns True for a path under results/: an output of this workflow, not a file it is given."""
    return not Path(path).is_absolute() and Path(path).parts[:1] == ("results",)


def init_input(wildcards):
    """Returns the warm start's files as inputs when this workflow makes them (e.g. the test config's base)."""
    folder = init_dir(wildcards)
    return [f"{folder}/{name}" for name in MODEL_FILES] if folder and made_here(folder) else []


def init_flag(wildcards):
    """Returns the `fcnr train --init DIR` option of a dataset mode ("" when training from scratch)."""
    folder = init_dir(wildcards)
    return f"--init {folder}" if folder else ""


def init_param(wildcards):
    """Returns the warm start as a param: its folder and, for a given model, its id (a new one reruns training)."""
    folder = init_dir(wildcards)
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
    """Returns every file the report of ``wildcards.ds`` reads: FCNR's, and the baselines' RD and BD tables
    and INR training curves when baselines are on."""
    ds = wildcards.ds
    files = [f"results/{ds}/settings.json", f"results/{ds}/views.csv", f"results/{ds}/split.csv"]
    for mode in modes(ds):
        root = f"results/{ds}/{mode}"
        files += [f"{root}/metrics.csv", f"{root}/summary.json", f"{root}/timing.json"]
        files += model_files(ds, mode)
        files.append(f"{root}/decoded")
        if bl(ds)["enabled"]:
            files += [f"{root}/{runs.RD_CSV}", f"{root}/{runs.BD_CSV}"]
        files += [f"{folder}/model/train_log.csv" for _, _, folder in inr_runs(ds, mode)]
    return files


# Scheduling on a few cores: renders first (every later stage waits on them), then FCNR's trainings
# (the main model and its lambda points), its coding and scoring, then the INRs' train-decode-score
# chains; the classical codecs' many short independent jobs fill the cores to the end.
PRIORITY = {"render": 40, "train": 30, "learned": 25, "code": 20, "inr": 5}


# ---- Cinema databases as a dataset's source (cinema.smk imports their images) ----------------------


def cinema_datasets():
    """Returns the names of the datasets on the manifest path whose source is a Cinema database."""
    names = []
    for name in known_datasets():
        try:
            if load_manifest(name)["source"]["kind"] == "cinema":
                names.append(name)
        except FCNRError:
            pass  # a broken manifest is reported when it is a target
    return names


# Wildcard patterns that send each dataset to the rules that make its images: the Cinema
# datasets to cinema.smk, every other name to views and render. Every path has "/" after {ds}.
_CINEMA_NAMES = "|".join(map(re.escape, cinema_datasets()))
CINEMA_DS = f"(?:{_CINEMA_NAMES})" if _CINEMA_NAMES else "(?!)"
RENDERED_DS = rf"(?!(?:{_CINEMA_NAMES})/){DS_PATTERN}" if _CINEMA_NAMES else DS_PATTERN


def is_cinema(ds):
    """Returns whether the dataset's images come from a Cinema database."""
    return manifest(ds)["source"]["kind"] == "cinema"


def cinema_db(ds):
    """Returns the dataset's database folder (the manifest's source.path, relative to the manifest)."""
    path = Path(manifest(ds)["source"]["path"])
    return path if path.is_absolute() else Path(manifest(ds)["path"]).parent / path


def cinema_modes(ds):
    """Returns the modes of the run that the database has a FILE column for (config order)."""
    available = manifest(ds)["source"]["modes"]
    chosen = [m for m in settings(ds)["modes"] if m in available]
    if not chosen:
        raise WorkflowError(f"{manifest(ds)['path']}: source.modes has {', '.join(available)}, but the config's "
                            f"modes are {', '.join(settings(ds)['modes'])}; add one of them to either")  # fmt: skip
    return chosen


@cache
def cinema_view_count(ds):
    """Returns the number of views the database gives (data.csv only, no image is opened)."""
    source = manifest(ds)["source"]
    try:
        plan = plan_import(cinema_db(ds), source.get("convention", "auto"), None,
                           {k: str(v) for k, v in source.get("where", {}).items()}, source.get("drop_unpaired", False))  # fmt: skip
    except FCNRError as exc:
        raise WorkflowError(f"{manifest(ds)['path']}: source: {exc}") from None
    return len(plan.views)


# ---- Which RD points a dataset mode has (baselines.smk, inr.smk; layout: fcnr.baselines.runs) -------


def bl(ds):
    """Returns the dataset's validated `baselines` section."""
    return settings(ds)["baselines"]


def baseline_timesteps(ds):
    """Returns the timesteps every method is compared on: `baselines.timesteps` of them, evenly spread."""
    return compared_timesteps(timesteps(ds), bl(ds)["timesteps"])


def learned_runs(ds, mode):
    """Returns [(method, lambda, run folder)] of every learned point of a mode, FCNR's main run first."""
    main = runs.main_lambda(settings(ds))
    wanted = [("fcnr", main)]
    chosen = bl(ds)["learned"]["modes"]
    if bl(ds)["enabled"] and (chosen is None or mode in chosen):
        section = bl(ds)["learned"]
        wanted += [(m, float(lam)) for m in section["sweep"] for lam in section["lambdas"]]
        wanted += [(v, main) for v in section["variants"]]
    mode_dir = f"results/{ds}/{mode}"
    return [(m, lam, str(runs.run_dir(mode_dir, m, "lambda", lam, main))) for m, lam in dict.fromkeys(wanted)]


def inr_runs(ds, mode):
    """Returns [(method, size, run folder)] of every INR of one dataset mode (none when baselines are off)."""
    chosen = bl(ds)["inr"]["modes"]
    if not bl(ds)["enabled"] or (chosen is not None and mode not in chosen):
        return []
    mode_dir = f"results/{ds}/{mode}"
    return [(method, size, str(runs.run_dir(mode_dir, method, "params", size, 0)))
            for method, spec in bl(ds)["inr"]["methods"].items() for size in spec["sizes"]]  # fmt: skip


# ---- One run of FCNR: its main run (results/{ds}/{mode}) or a learned point (wildcards variant, lam) ---

# A learned point's folder, and where its logs and benchmarks go.
POINT = "results/{ds}/{mode}/" + LEARNED_RUN.format(method="{variant}", value="{lam}")
POINT_LOG = "logs/{ds}/{mode}/baselines/{variant}-lambda{lam}"
POINT_BENCHMARK = "benchmarks/{ds}/{mode}/baselines/{variant}-lambda{lam}"


def is_point(wildcards):
    """Returns whether a job of the FCNR rules is a learned point's (baselines.smk) rather than the main run's."""
    return "lam" in wildcards.keys()


def run_folder(wildcards):
    """Returns the folder of the job's run: the mode folder, or the learned point's."""
    return POINT.format(**wildcards) if is_point(wildcards) else f"results/{wildcards.ds}/{wildcards.mode}"


def run_timesteps(wildcards):
    """Returns the timesteps the job's run codes: all of the run's, or a learned point's compared ones."""
    return baseline_timesteps(wildcards.ds) if is_point(wildcards) else timesteps(wildcards.ds)


def run_model(wildcards):
    """Returns the model files of the job's run."""
    return [f"{run_folder(wildcards)}/model/{name}" for name in MODEL_FILES]


def training_images(wildcards):
    """Returns the image folders of the training timesteps, the main run's and every learned point's (the split
    picks the views)."""
    return [image_dir(wildcards.ds, wildcards.mode, t) for t in train_timesteps(wildcards.ds)]


def run_images(wildcards):
    """Returns the image folders of the timesteps the job's run codes."""
    return [image_dir(wildcards.ds, wildcards.mode, t) for t in run_timesteps(wildcards)]


# ---- Threads, memory and logs, said once -------------------------------------------------------------


def threads_of(section):
    """Returns a rule's `threads`: the `threads` key of a config section (e.g. "codec")."""
    return lambda wildcards: settings(wildcards.ds)[section]["threads"]


def image_pixels(wildcards):
    """Returns the pixels of one rendered image of the job's dataset."""
    return settings(wildcards.ds)["render"]["size"] ** 2


def window_pixels(wildcards):
    """Returns the pixels one training step holds: batch_size windows of at most train.crop² (a null
    setting takes the model schema's default)."""
    train = settings(wildcards.ds)["train"]
    side = settings(wildcards.ds)["render"]["size"]
    crop = train.get("crop") or model_default("crop") or side
    return (train.get("batch_size") or model_default("batch_size")) * min(side, crop) ** 2


def mem_mb(base, bytes_per_pixel, pixels=image_pixels):
    """Returns a rule's `mem_mb`: ``base`` MB plus ``bytes_per_pixel`` for every pixel the job holds at
    once (``pixels``: one rendered image unless told otherwise)."""
    return lambda wildcards: base + bytes_per_pixel * pixels(wildcards) // 1_000_000


def logged(command, omp=True, then=None):
    """Returns a shell command with its output in the job's log, with OMP_NUM_THREADS set to the job's
    threads (unless ``omp`` is False), and ``then`` run after it when it succeeds."""
    shell = ("OMP_NUM_THREADS={threads} " if omp else "") + command + " > {log} 2>&1"
    return f"{shell} && {then}" if then else shell


def metric_flags(wildcards):
    """Returns the scoring commands' "--no-lpips" / "--no-flip" for the metrics the config switches off."""
    evaluate = settings(wildcards.ds)["evaluate"]
    return " ".join(f"--no-{metric}" for metric in ("lpips", "flip") if not evaluate[metric])


def device_of(section):
    """Returns a rule's `device` param: the `device` key of a config section."""
    return lambda wildcards: settings(wildcards.ds)[section]["device"]
