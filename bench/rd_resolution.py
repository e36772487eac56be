"""The resolution yardstick: FCNR against HEVC, AV1 and JPEG XL on held-out renders at several image sizes.

    python -m bench.rd_resolution [--datasets tornado vortex tangaroa] [--modes ir dvr] [--sizes 128 256 512]
        [--held-out T ...] [--base fcnr/zoo/base-128 ...] [--steps N] [--crop 128] [--lr LR] [--lambdas L ...]
        [--context pair|checkerboard]
        [--codecs hevc av1 jpegxl] [--config config/config.yaml] [--frequency 3] [--max-side 128]
        [--work bench/out/rd_resolution] [--out bench/out/rd_resolution.csv] [--threads 2]

For each dataset, mode and size it renders (``fcnr volumes``, ``fcnr views``, ``fcnr render``) the
default run's views at that size, both for the held-out timesteps (default: per dataset the one the
default run's report scores, the last of its timesteps) and for the default run's training
timesteps (its training views only). A held-out timestep that the base model's ``base.json`` lists
as seen, or that holds training images of the run's split, is refused.

FCNR: the base model (``--base DIR/{ir,dvr}``; several: each lambda from the one trained at the
nearest lambda, as a run's ``train.init`` list) fine-tuned at the default config's lambda sweep with
its recipe (steps, learning rate and schedule: ``train`` and ``baselines.learned``) on random
windows of at most ``--crop`` (default ``train.crop``) of the renders at the bench size of the
training pairs, at a peak learning rate ``--lr`` (default ``train.lr``), with the entropy context
``--context`` (default ``train.context``): what a user's run at that size would produce. ``--steps N`` trains every lambda N steps; ``--steps 0`` codes with the base
model as it is (one point, its own lambda). Every model codes the held-out timesteps into real
shards (``fcnr.codec.coding``); BPP from the shard bytes.

Classical codecs (``fcnr.baselines``) at the default config's settings (4 each; JPEG XL gets a
finer 4th, 90): HEVC and AV1 code a timestep's views as one video, and again with a keyframe per
view pair (GOP 2: FCNR's access granularity, rows "GOP 2"). JPEG XL codes each image alone.

Printed per size, for each dataset and mode: every point (BPP, PSNR, MS-SSIM, encode and decode
images/s, the median time to decode one random view: FCNR one pair record, a video from its
sequence start (GOP 2: from the pair's keyframe) up to the view, JPEG XL one file), and the
BD-rate (PSNR and MS-SSIM, pchip, ``fcnr.evaluation.bdrate``) of FCNR against each codec, or why
there is none ("no overlap", "not monotone", "one point"). ``--out`` gets every point and BD-rate
as CSV. Each step's output is kept in ``--work`` and skipped when present, so a rerun resumes.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
import torch

from bench.rd_budget import make_trainer
from bench.scoring import means, score_model
from fcnr.baselines import CODECS, Codec, label, make_codec
from fcnr.baselines.evaluate import evaluate_codec
from fcnr.baselines.runs import compared_timesteps, default_lambda, learned_steps
from fcnr.baselines.video import AV1, FRAME_RATE, HEVC
from fcnr.codec.coding import Timer, decode_view
from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import load_model
from fcnr.codec.shard import read_shard
from fcnr.codec.variants import CONTEXTS
from fcnr.evaluation.bdrate import bd_rate
from fcnr.evaluation.metrics import ms_ssim, psnr
from fcnr.evaluation.rd import msssim_db, write_table
from fcnr.images import image_path, timestep_dir
from fcnr.schemas import model_default
from fcnr.training.base_model import nearest_base, read_provenance, seen_timesteps, trained_lambda
from fcnr.training.data import source_datasets
from fcnr.training.split import training_timesteps, training_views, write_split_csv
from render.basics.atomic import read_json, write_json
from render.basics.errors import FCNRError
from render.basics.schema import load_yaml
from render.manifest import load_manifest, used_timesteps
from render.views import icosphere_views, read_views, write_views
from render.volumes import check_timesteps, shrunk_shape

REPO = Path(__file__).resolve().parents[1]
VIDEO = ("hevc", "av1")
GOP2 = "-gop2"
FINER_JPEGXL = 90  # JPEG XL's 4th setting, above the default config's three
RANDOM_VIEWS = 8  # views timed for random access
COLUMNS = ("kind", "dataset", "mode", "size", "method", "setting", "value", "steps", "train_seconds", "images",
           "bpp", "psnr", "msssim", "encode_ips", "decode_ips", "view_ms", "anchor", "bd_rate_psnr",
           "bd_rate_msssim", "note")  # fmt: skip


# ---- codecs --------------------------------------------------------------------------------------------------


class KeepStreams:
    """Mixin for a baseline codec: keeps the streams of its last ``encode`` (to time random access)."""

    kept: list[bytes] = []

    def encode(self, images):
        encoded = super().encode(images)
        self.kept = encoded.streams
        return encoded


class HEVCGOP2(HEVC):
    """HEVC with a closed GOP of 2: every view pair starts at a keyframe."""

    name = "hevc" + GOP2

    def options(self) -> dict[str, str]:
        options = super().options()
        return {**options, "x265-params": "keyint=2:min-keyint=1:no-open-gop=1:" + options["x265-params"]}


class AV1GOP2(AV1):
    """AV1 with a keyframe every 2 frames: every view pair starts at a keyframe."""

    name = "av1" + GOP2

    def options(self) -> dict[str, str]:
        return {**super().options(), "g": "2"}


BENCH_CODECS: dict[str, type[Codec]] = {**CODECS, HEVCGOP2.name: HEVCGOP2, AV1GOP2.name: AV1GOP2}


def bench_codec(name: str, quality: int) -> Codec:
    """Returns codec ``name`` (a baseline or its GOP-2 form) at ``quality``, keeping its streams."""
    make_codec(name.removesuffix(GOP2), quality)  # an unknown or unavailable codec is an FCNRError here
    cls = BENCH_CODECS[name]
    return type(cls.__name__, (KeepStreams, cls), {})(quality)


def method_label(method: str) -> str:
    """Returns a method's display name; GOP-2 video rows say so."""
    return f"{label(method.removesuffix(GOP2))}, GOP 2" if method.endswith(GOP2) else label(method)


def ladders(config: dict, codecs: Sequence[str]) -> dict[str, list[int]]:
    """Returns each codec's settings: the config's (JPEG XL with a finer 4th), the video ones also at GOP 2."""
    classical = config["baselines"]["classical"]
    out = {}
    for name in codecs:
        settings = list(classical[name])
        if name == "jpegxl" and FINER_JPEGXL not in settings:
            settings.append(FINER_JPEGXL)
        out[name] = settings
        if name in VIDEO:
            out[name + GOP2] = settings
    return out


# ---- the run's data: timesteps, views, volumes, renders ------------------------------------------------------


def run_timesteps(config: dict, ds: str) -> list[int]:
    """Returns the default run's timesteps of ``ds``: the first ``timesteps.count`` of its manifest's."""
    return used_timesteps(load_manifest(ds))[: config["timesteps"]["count"]]


def default_held_out(config: dict, ds: str) -> list[int]:
    """Returns the timesteps the default run's report scores (baselines.timesteps of the run's)."""
    return compared_timesteps(run_timesteps(config, ds), config["baselines"].get("timesteps"))


def mode_bases(bases: Sequence[Path], mode: str) -> list[Path]:
    """Returns the base model folders of ``mode`` (``DIR/{mode}`` of each ``--base`` that has one)."""
    found = [base / mode for base in bases if (base / mode).is_dir()]
    if not found:
        raise FCNRError(f"no {mode} base model in {', '.join(map(str, bases))} (each needs a {mode}/ folder)")
    return found


def point_base(a, mode: str, lmbda: float) -> Path:
    """Returns the base model a point of ``lmbda`` starts from: the one trained at the nearest lambda."""
    return Path(nearest_base([str(folder) for folder in mode_bases(a.bases, mode)], lmbda))


def check_held_out(config: dict, ds: str, held_out: Sequence[int], bases: Sequence[Path], modes: Sequence[str]) -> None:
    """Refuses held-out timesteps the base model saw or that hold training images of the run's split."""
    check_timesteps(load_manifest(ds), held_out)
    training = training_timesteps(run_timesteps(config, ds))
    trained = sorted(set(held_out) & set(training))
    if trained:
        raise FCNRError(f"{ds}: timestep(s) {trained} hold training images of the default run's split "
                        f"(training timesteps {training}); pick held-out ones")  # fmt: skip
    for folder in (folder for mode in modes for folder in mode_bases(bases, mode)):
        provenance = read_provenance(folder)
        if provenance is None:
            raise FCNRError(f"{folder}: no base.json, so what the base model saw is unknown; "
                            "use a published base model (fcnr/zoo/)")  # fmt: skip
        overlap = sorted(set(held_out) & set(seen_timesteps(provenance).get(ds, [])))
        if overlap:
            raise FCNRError(f"{folder / 'base.json'}: the base model saw {ds} timestep(s) {overlap}; "
                            "pick held-out timesteps it did not see")  # fmt: skip


def fcnr_cli(*args: str) -> None:
    """Runs one ``fcnr`` subcommand with this Python, failing loudly."""
    subprocess.run([sys.executable, "-m", "fcnr.cli", *args], check=True, stdout=subprocess.DEVNULL)


def prepare_views(work: Path, frequency: int) -> None:
    """Writes ``views.csv`` (``fcnr views``) and ``train-views.csv`` (the split's training views) once."""
    if not (work / "views.csv").exists():
        fcnr_cli("views", "--frequency", str(frequency), "--out", str(work / "views.csv"))
    if not (work / "train-views.csv").exists():
        views = icosphere_views(frequency)
        write_views(views[training_views(len(views))], work / "train-views.csv")


def prepare_volumes(work: Path, ds: str, timesteps: Sequence[int], max_side: int | None) -> Path:
    """Returns the folder of the dataset's volumes of ``timesteps`` (``fcnr volumes``, made once)."""
    out = work / ds / ("volumes-" + "-".join(map(str, timesteps)))
    if not (out / "meta.json").exists():
        shape = load_manifest(ds)["shape"]
        scaled = ["--shape", *map(str, shrunk_shape(shape, max_side))] if max(shape) > (max_side or max(shape)) else []
        fcnr_cli("volumes", ds, "--out", str(out), "--timesteps", ",".join(map(str, timesteps)), *scaled)
    return out


def render(volumes: Path, ds: str, mode: str, t: int, views_csv: Path, size: int, images: Path) -> None:
    """Renders timestep ``t``'s views of ``views_csv`` at ``size`` (``fcnr render``) unless all exist."""
    out = timestep_dir(images, t)
    if all(image_path(out, int(v)).exists() for v in read_views(views_csv)["index"]):
        return
    fcnr_cli("render", str(volumes / f"t{t:04d}.npy"), "--dataset", ds, "--mode", mode, "--views", str(views_csv),
             "--size", str(size), "--out", str(out))  # fmt: skip


# ---- FCNR ----------------------------------------------------------------------------------------------------


def sweep(config: dict, steps: int | None, lambdas: Sequence[float] | None) -> list[tuple[float, int]]:
    """Returns (lambda, steps) per FCNR point: the default config's sweep and recipe unless overridden."""
    main = config["train"].get("lambda") or default_lambda()
    chosen = lambdas or [main, *config["baselines"]["learned"]["lambdas"]]
    recipe = {lmbda: config["train"]["max_steps"] if lmbda == main else learned_steps(config) for lmbda in chosen}
    return sorted((float(lmbda), recipe[lmbda] if steps is None else steps) for lmbda in chosen)


def recipe_name(a, base: Path, steps: int) -> str:
    """Returns the folder name of a fine-tuning recipe: base (``DIR`` of DIR/mode), steps, window side, peak lr
    and entropy context (when not the default)."""
    context = f"-{a.context}" if steps and a.context != model_default("context") else ""
    return f"{base.parent.name}-steps{steps}" + (f"-crop{a.crop}-lr{a.lr:g}{context}" if steps else "")


def fine_tune(a, mode_dir: Path, sources, base: Path, lmbda: float, steps: int) -> tuple[Path, float]:
    """Returns (model folder, training seconds) of one FCNR point from ``base``; the base itself for 0 steps."""
    if steps == 0:
        return base, 0.0
    out = mode_dir / "models" / recipe_name(a, base, steps) / f"lambda{lmbda:g}"
    if not (out / "train_summary.json").exists():
        make_trainer(a.config, out, steps, lmbda, base, sources, a.crop, a.lr, a.context).run()
    return out, float(read_json(out / "train_summary.json")["seconds"])


def scores(reference: np.ndarray, decoded: np.ndarray) -> dict[str, float]:
    """Returns the yardstick's metrics of one decoded image: PSNR and MS-SSIM."""
    return {"psnr": psnr(reference, decoded), "msssim": ms_ssim(reference, decoded)}


def random_views(n_views: int) -> list[int]:
    """Returns the views timed for random access: the same seeded choice for every method."""
    return sorted(np.random.default_rng(0).choice(n_views, min(RANDOM_VIEWS, n_views), replace=False).tolist())


def fcnr_point(a, mode_dir: Path, eval_dir: Path, sources, mode: str, lmbda: float, steps: int) -> dict:
    """Returns (and caches) one FCNR point on the held-out images."""
    base = point_base(a, mode, lmbda)
    folder = eval_dir / f"fcnr-{recipe_name(a, base, steps)}" / f"lambda{lmbda:g}"
    if (folder / "point.json").exists():
        return read_json(folder / "point.json")
    model_dir, seconds = fine_tune(a, mode_dir, sources, base, lmbda, steps)
    model, ident = load_model(model_dir), model_id(model_dir)
    enc, dec = Timer(), Timer()
    held_out = a.held_out[a.ds]
    rows = score_model(model, ident, mode_dir / "images", a.views, held_out, folder / "shards", enc, dec, scores)
    shard = read_shard(folder / "shards" / f"t{held_out[-1]:04d}.fcnr")
    view_s = [timed(decode_view, shard, v, model, ident) for v in random_views(len(a.views))]
    point = {"method": "fcnr", "setting": "lambda", "value": lmbda, "steps": steps, "train_seconds": seconds,
             **means(rows, ("bpp", "psnr", "msssim")), "images": len(rows), "encode_ips": enc.images / enc.seconds,
             "decode_ips": dec.images / dec.seconds, "view_ms": 1000 * float(np.median(view_s))}  # fmt: skip
    return logged(folder / "point.json", point)


def logged(path: Path, point: dict) -> dict:
    """Writes a new point to ``path`` (the cache), prints it and returns it."""
    write_json(path, point)
    print(f"  {path.parent}: {point['bpp']:.4f} bpp, {point['psnr']:.2f} dB, "
          f"MS-SSIM {point['msssim']:.4f}", flush=True)  # fmt: skip
    return point


def timed(function, *args) -> float:
    """Returns the seconds ``function(*args)`` takes."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


# ---- classical codecs ----------------------------------------------------------------------------------------


def decode_video_view(stream: bytes, view: int, size: tuple[int, int], seek: bool) -> np.ndarray:
    """Returns frame ``view`` of a video file, decoded from its start (with ``seek``: from the keyframe before it)."""
    try:
        with av.open(io.BytesIO(stream), "r") as container:
            video = container.streams.video[0]
            if seek:
                container.seek(round(view / FRAME_RATE / video.time_base), stream=video)
            for frame in container.decode(video):
                if round(frame.time * FRAME_RATE) == view:
                    return frame.to_ndarray(format="rgb24")[: size[0], : size[1]]
    except av.FFmpegError as exc:
        raise FCNRError(f"cannot decode view {view} of the video: {exc}") from exc
    raise FCNRError(f"the video has no frame for view {view}")


def view_seconds(codec: Codec, views: Sequence[int], size: tuple[int, int]) -> list[float]:
    """Returns the seconds to decode each of ``views`` alone from the codec's kept streams."""
    if codec.name.removesuffix(GOP2) in VIDEO:
        return [timed(decode_video_view, codec.kept[0], v, size, codec.name.endswith(GOP2)) for v in views]
    return [timed(codec.decode, [codec.kept[v]]) for v in views]


def codec_point(a, mode_dir: Path, eval_dir: Path, name: str, quality: int) -> dict:
    """Returns (and caches) one classical codec point on the held-out images."""
    path = eval_dir / name / f"q{quality}" / "point.json"
    if path.exists():
        return read_json(path)
    codec = bench_codec(name, quality)
    split = {(t, int(v)): "unseen" for t in a.held_out[a.ds] for v in a.views["index"]}
    result = evaluate_codec(codec, mode_dir / "images", a.views, split, scores)
    view_s = view_seconds(codec, random_views(len(a.views)), (a.size, a.size))
    images = len(result.rows)
    point = {"method": name, "setting": codec.setting, "value": quality, "steps": None, "train_seconds": None,
             **means(result.rows, ("bpp", "psnr", "msssim")), "images": images,
             "encode_ips": images / result.encode_seconds, "decode_ips": images / result.decode_seconds,
             "view_ms": 1000 * float(np.median(view_s))}  # fmt: skip
    return logged(path, point)


# ---- BD-rates and tables -------------------------------------------------------------------------------------


def bd_cell(anchor: list[dict], test: list[dict], quality: str) -> tuple[float, str]:
    """Returns (BD-rate in %, "") of ``test`` against ``anchor`` on ``quality``, or (NaN, why there is none)."""
    curves = [([p["bpp"] for p in points], [msssim_db(p[quality]) if quality == "msssim" else p[quality] for p in points])
              for points in (anchor, test)]  # fmt: skip
    try:
        return bd_rate(*curves[0], *curves[1]), ""
    except ValueError as exc:
        return float("nan"), bd_note(str(exc), anchor, test)


def bd_note(message: str, anchor: list[dict], test: list[dict]) -> str:
    """Returns the table's short note for a BD error ``message`` of ``fcnr.evaluation.bdrate``."""
    curve = test if message.startswith("test") else anchor
    if "at least" in message:
        return "one point"
    if "do not overlap" in message:
        return "no overlap"
    if "not monotone" in message:
        return f"not monotone ({method_label(curve[0]['method'])})"
    return message


def bd_rows(points: list[dict], where: dict) -> list[dict]:
    """Returns one BD row per codec: FCNR's BD-rate (PSNR, MS-SSIM) against it, or why there is none."""
    fcnr = [p for p in points if p["method"] == "fcnr"]
    rows = []
    for anchor in dict.fromkeys(p["method"] for p in points if p["method"] != "fcnr"):
        row = {**where, "kind": "bd", "method": "fcnr", "anchor": anchor}
        for quality in ("psnr", "msssim"):
            row[f"bd_rate_{quality}"], row[f"note_{quality}"] = bd_cell(
                [p for p in points if p["method"] == anchor], fcnr, quality)
        row["note"] = "; ".join(f"{q}: {row[f'note_{q}']}" for q in ("psnr", "msssim") if row[f"note_{q}"])
        rows.append(row)
    return rows


def bd_text(row: dict, quality: str) -> str:
    """Returns a BD-rate cell: the percentage, or the reason there is none."""
    value = row[f"bd_rate_{quality}"]
    return row[f"note_{quality}"] if value != value else f"{value:+.1f} %"


def print_size(size: int, points: list[dict], bds: list[dict]) -> None:
    """Prints one size's tables: per dataset and mode, every point and FCNR's BD-rates."""
    print(f"\n## {size}x{size}")
    for where in dict.fromkeys((p["dataset"], p["mode"]) for p in points if p["size"] == size):
        mine = [p for p in points if (p["dataset"], p["mode"], p["size"]) == (*where, size)]
        print(f"\n### {where[0]} {where[1].upper()} ({mine[0]['images']} held-out images)\n")
        print("| method | setting | BPP | PSNR (dB) | MS-SSIM | encode img/s | decode img/s | one random view (ms) |")
        print("|---|---|---|---|---|---|---|---|")
        for p in mine:
            cells = (f"{p['bpp']:.4f}", f"{p['psnr']:.2f}", f"{p['msssim']:.4f}", f"{p['encode_ips']:.1f}",
                     f"{p['decode_ips']:.1f}", f"{p['view_ms']:.0f}")  # fmt: skip
            print(f"| {method_label(p['method'])} | {setting_text(p)} | " + " | ".join(cells) + " |")
        print("\n| FCNR against | BD-rate (PSNR) | BD-rate (MS-SSIM) |\n|---|---|---|")
        for row in (r for r in bds if (r["dataset"], r["mode"], r["size"]) == (*where, size)):
            print(f"| {method_label(row['anchor'])} | {bd_text(row, 'psnr')} | {bd_text(row, 'msssim')} |")


def setting_text(point: dict) -> str:
    """Returns a point's setting: lambda and steps for FCNR, quality or CRF for a codec."""
    if point["method"] == "fcnr":
        return f"lambda {point['value']:g}, {point['steps']} steps"
    return f"{point['setting']} {point['value']}"


# ---- the run -------------------------------------------------------------------------------------------------


def measure(a, ds: str, mode: str, size: int) -> list[dict]:
    """Returns every point of one dataset, mode and size, rendering and training what is missing."""
    a.ds, a.size = ds, size
    mode_dir = a.work / ds / mode / f"s{size}"
    volumes = prepare_volumes(a.work, ds, sorted({*a.train_ts[ds], *a.held_out[ds]}), a.max_side)
    for t in a.held_out[ds]:
        render(volumes, ds, mode, t, a.work / "views.csv", size, mode_dir / "images")
    for t in a.train_ts[ds]:
        render(volumes, ds, mode, t, a.work / "train-views.csv", size, mode_dir / "images")
    sources = source_datasets([mode_dir / "images"], [a.work / "views.csv"], [a.work / ds / "split.csv"])
    eval_dir = mode_dir / ("eval-t" + "-".join(map(str, a.held_out[ds])))
    where = {"kind": "point", "dataset": ds, "mode": mode, "size": size}
    points = [fcnr_point(a, mode_dir, eval_dir, sources, mode, lmbda, steps) for lmbda, steps in a.sweep]
    points += [codec_point(a, mode_dir, eval_dir, name, q) for name, settings in a.ladders.items() for q in settings]
    return [{**where, **p} for p in points]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Returns the command line, checked, with the default config's plan filled in."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["tornado", "vortex", "tangaroa"])
    parser.add_argument("--modes", nargs="+", default=["ir", "dvr"], choices=["ir", "dvr"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 256, 512], help="image sides, 32-1024")
    parser.add_argument("--held-out", type=int, nargs="+", help="timesteps scored (default: each dataset's "
                        "default-run report's); applied to every dataset given")  # fmt: skip
    parser.add_argument("--base", dest="bases", type=Path, nargs="+", default=[REPO / "fcnr" / "zoo" / "base-128"],
                        help="DIR/{ir,dvr}; several: each lambda starts from the base trained nearest it")  # fmt: skip
    parser.add_argument("--steps", type=int, help="fine-tuning steps per lambda (default: the config's; 0: the base)")
    parser.add_argument("--crop", type=int, help="training window side (default: the config's train.crop)")
    parser.add_argument("--lr", type=float, help="fine-tuning's peak learning rate (default: the config's train.lr)")
    parser.add_argument("--lambdas", type=float, nargs="+", help="FCNR's sweep (default: the config's)")
    parser.add_argument("--context", choices=list(CONTEXTS),
                        help="the fine-tunes' entropy context (default: the config's train.context, else pair)")
    parser.add_argument("--codecs", nargs="+", default=["hevc", "av1", "jpegxl"], choices=sorted(CODECS))
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml", help="the default run's config")
    parser.add_argument("--frequency", type=int, help="icosphere frequency (default: the config's views.frequency)")
    parser.add_argument("--max-side", type=int, help="volume grid's longest side (default: the config's)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "rd_resolution")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "rd_resolution.csv")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    a = parser.parse_args(argv)
    bad = [s for s in a.sizes if not 32 <= s <= 1024]
    given = {name: value for name, value in vars(a).items() if value is not None}
    if bad or given.get("steps", 0) < 0 or given.get("crop", 32) < 32 or given.get("lr", 1) <= 0:
        parser.error(f"--sizes must lie in 32..1024 (got {bad}), --steps be 0 or more, --crop 32 or more and "
                     "--lr above 0")  # fmt: skip
    return plan(a, load_yaml(a.config))


def plan(a: argparse.Namespace, config: dict) -> argparse.Namespace:
    """Returns ``a`` with the default run's plan (``config``) filled in, its held-out timesteps checked."""
    a.run_ts = {ds: run_timesteps(config, ds) for ds in a.datasets}
    a.train_ts = {ds: training_timesteps(a.run_ts[ds]) for ds in a.datasets}
    a.held_out = {ds: a.held_out or default_held_out(config, ds) for ds in a.datasets}
    for ds in a.datasets:
        check_held_out(config, ds, a.held_out[ds], a.bases, a.modes)
    a.frequency = a.frequency or config["views"]["frequency"]
    a.max_side = a.max_side or config["volumes"]["max_side"]
    a.crop = a.crop or config["train"].get("crop")
    a.lr = a.lr or config["train"]["lr"]
    a.context = a.context or config["train"].get("context") or model_default("context")
    a.sweep = sweep(config, a.steps, a.lambdas) if a.steps != 0 else base_points(a.bases, a.modes)
    a.ladders = ladders(config, a.codecs)
    return a


def base_points(bases: Sequence[Path], modes: Sequence[str]) -> list[tuple[float, int]]:
    """Returns the sweep of ``--steps 0``: a point at each lambda the base models were trained at."""
    return [(lmbda, 0) for lmbda in sorted({trained_lambda(f) for m in modes for f in mode_bases(bases, m)})]


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    a.work.mkdir(parents=True, exist_ok=True)
    prepare_views(a.work, a.frequency)
    a.views = read_views(a.work / "views.csv")
    print(f"held-out timesteps {a.held_out}, {len(a.views)} views, FCNR points (lambda, steps) {a.sweep}, crop "
          f"{a.crop}, lr {a.lr:g}; torch threads {a.threads}, load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    points, bds = [], []
    for ds in a.datasets:
        if not (a.work / ds / "split.csv").exists():
            write_split_csv(a.work / ds / "split.csv", a.run_ts[ds], len(a.views))
        for size in a.sizes:
            for mode in a.modes:
                found = measure(a, ds, mode, size)
                points += found
                bds += bd_rows(found, {"dataset": ds, "mode": mode, "size": size})
                print(f"{ds} {mode} {size}: {len(found)} points", flush=True)
    for size in a.sizes:
        print_size(size, points, bds)
    write_table(a.out, [{c: row.get(c) for c in COLUMNS} for row in points + bds], COLUMNS)
    print(f"\nwrote {a.out}; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
