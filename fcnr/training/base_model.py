"""The base model's data and its published folder: what it saw, and proof that no report scores it.

A base model is trained on other timesteps of the datasets than the ones any report uses (each
manifest's ``timesteps`` window), so warm-starting from it never makes a scored image a seen one.
Its published folder holds the model (``config.json``, ``weights.safetensors`` in float16), its
training curve and summary and ``base.json`` (format ``fcnr-base`` version 2)::

    {"format": "fcnr-base", "version": 2, "mode": "ir", "curve_every": 5,
     "datasets": {"tornado": {"timesteps": [30, ...], "used_timesteps": [0, ...], "manifest": "data/tornado.yaml",
                              "volume_shape": [128, 128, 128], "render": {...}}, ...},
     "images": [{"size": 128, "views": {"frequency": 4, "count": 162}, "timesteps": {"tornado": [30, ...]}}, ...],
     "train": {...}, "init": null | {"path": "fcnr/zoo/base-128/ir", "base": {<that model's base.json>}},
     "command": "snakemake --cores 2 base_model ..."}

``datasets`` lists every timestep the model itself trained on (at any size); a model that continued
from another base also saw what ``init.base`` says (``seen_timesteps`` follows the chain).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fcnr.schemas import model_default
from render.basics.atomic import read_json, write_json, write_text
from render.basics.errors import FCNRError
from render.manifest import parse_timesteps, used_timesteps
from render.volumes import check_timesteps

PROVENANCE = "base.json"
FORMAT, VERSION = "fcnr-base", 2
PUBLISHED = ("config.json", "weights.safetensors", "train_log.csv", "train_summary.json")


def base_timesteps(manifest: dict[str, Any], text: str) -> list[int]:
    """Returns the timesteps ``text`` (``A:B[:STEP]`` ranges) selects of a dataset, checked against its total."""
    return check_timesteps(manifest, parse_timesteps(text, manifest["total_timesteps"]))


InitSetting = str | list[str] | dict[str, str | list[str] | None] | None


def init_candidates(value: InitSetting, mode: str) -> list[str]:
    """Returns a ``train.init`` setting's model folders for one mode (ir or dvr); [] trains from scratch.

    The setting is a folder with ``{mode}`` in it, a list of such folders (base models trained at
    different lambdas: ``nearest_base`` picks one per training), or either per mode
    (``{ir: ..., dvr: [...]}``).
    """
    if isinstance(value, dict):
        value = value.get(mode)
    folders = [value] if isinstance(value, str) else value or []
    return [folder.replace("{mode}", mode) for folder in folders]


def trained_lambda(model_dir: str | os.PathLike) -> float:
    """Returns the lambda a published base model was trained at (``fcnr train``'s default when unset)."""
    provenance = read_provenance(model_dir)
    if provenance is None:
        raise FCNRError(f"{model_dir}: no {PROVENANCE}, so the lambda it was trained at is unknown; a list of "
                        "warm starts may name only published base models")  # fmt: skip
    value = provenance["train"].get("lambda")
    return float(model_default("lambda") if value is None else value)


def nearest_base(folders: Sequence[str], lmbda: float) -> str:
    """Returns the folder among ``folders`` trained at the lambda nearest ``lmbda`` on a log scale.

    One folder is returned as it is (it need not be a published base); on a tie the first wins.
    """
    if len(folders) == 1:
        return folders[0]
    return min(folders, key=lambda folder: abs(math.log(trained_lambda(folder) / lmbda)))


def check_disjoint(chosen: dict[str, list[int]], manifests: dict[str, dict[str, Any]]) -> None:
    """Raises an FCNRError if a chosen timestep is one a report uses (the manifest's window)."""
    for ds, timesteps in chosen.items():
        overlap = sorted(set(timesteps) & set(used_timesteps(manifests[ds])))
        if overlap:
            raise FCNRError(f"{ds}: timestep(s) {overlap} are among the {len(used_timesteps(manifests[ds]))} "
                            f"used ones of {manifests[ds]['path']}; a base model must not see scored images")  # fmt: skip


CURVE_ROWS = 4000  # the published training curve keeps at most this many steps (evenly spaced, the last kept)


def publish(model_dir: str | os.PathLike, folder: str | os.PathLike, provenance: dict) -> None:
    """Copies a trained base model and its training curve into ``folder`` and writes ``base.json`` last.

    ``train_log.csv`` is thinned to at most ``CURVE_ROWS`` steps (``base.json`` says every how many).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED:
        if name != "train_log.csv":
            shutil.copyfile(Path(model_dir) / name, folder / name)
    header, *rows = (Path(model_dir) / "train_log.csv").read_text().splitlines()
    every = max(1, -(-len(rows) // CURVE_ROWS))
    kept = rows[every - 1 :: every]
    if rows and (not kept or kept[-1] != rows[-1]):
        kept.append(rows[-1])
    write_text(folder / "train_log.csv", "\n".join([header, *kept]) + "\n")
    write_json(folder / PROVENANCE, {"format": FORMAT, "version": VERSION, "curve_every": every, **provenance})


def read_provenance(model_dir: str | os.PathLike) -> dict | None:
    """Returns a model folder's ``base.json`` (None when it is not a published base model)."""
    path = Path(model_dir) / PROVENANCE
    if not path.is_file():
        return None
    data = read_json(path)
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise FCNRError(f"{path}: not a {FORMAT} v{VERSION} file")
    return data


def seen_timesteps(provenance: dict) -> dict[str, list[int]]:
    """Returns {dataset: timesteps} a base model saw at any size, its ``init`` chain included."""
    seen: dict[str, set[int]] = {}
    while provenance:
        for ds, data in provenance["datasets"].items():
            seen.setdefault(ds, set()).update(data["timesteps"])
        provenance = (provenance.get("init") or {}).get("base")
    return {ds: sorted(ts) for ds, ts in seen.items()}
