"""Dataset manifests: the YAML files in ``data/`` that describe each dataset."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from render.basics.errors import FCNRError
from render.basics.schema import load_validated

SCHEMA = Path(__file__).with_name("schemas") / "manifest.schema.yaml"
REPO_DATA = Path(__file__).resolve().parents[1] / "data"


def manifest_dirs() -> list[Path]:
    """Returns the folders searched for ``NAME.yaml``: $FCNR_DATA (if set), ./data, the repo's data/."""
    dirs = [Path(p) for p in os.environ.get("FCNR_DATA", "").split(os.pathsep) if p]
    return dirs + [Path.cwd() / "data", REPO_DATA]


def known_datasets() -> list[str]:
    """Returns the names of all datasets that have a manifest on the search path."""
    names = {p.stem for d in manifest_dirs() if d.is_dir() for p in d.glob("*.yaml")}
    return sorted(names)


def manifest_path(dataset: str) -> Path:
    """Returns the manifest file of ``dataset`` (a name, or a path to a YAML file)."""
    if dataset.endswith((".yaml", ".yml")):
        path = Path(dataset)
        if not path.is_file():
            raise FCNRError(f"{path}: manifest file not found")
        return path
    for folder in manifest_dirs():
        path = folder / f"{dataset}.yaml"
        if path.is_file():
            return path
    known = ", ".join(known_datasets()) or "none"
    raise FCNRError(f"unknown dataset {dataset!r}; known datasets: {known}")


def load_manifest(dataset: str) -> dict[str, Any]:
    """Returns the validated manifest of ``dataset`` with its file path under key ``path``."""
    path = manifest_path(dataset)
    manifest = load_validated(path, SCHEMA)
    start, count = manifest["timesteps"]["start"], manifest["timesteps"]["count"]
    if start + count > manifest["total_timesteps"]:
        raise FCNRError(
            f"{path}: timesteps: start {start} + count {count} exceeds total_timesteps "
            f"{manifest['total_timesteps']}"
        )
    manifest["path"] = str(path)
    return manifest


def used_timesteps(manifest: dict[str, Any]) -> list[int]:
    """Returns the consecutive timesteps the pipeline uses."""
    start = manifest["timesteps"]["start"]
    return list(range(start, start + manifest["timesteps"]["count"]))


def parse_timesteps(text: str, total: int) -> list[int]:
    """Returns the timesteps of ``A:B[:STEP]`` ranges joined by commas (half-open; ``K`` alone is K).

    An empty A or B means 0 or ``total``; a malformed range is an FCNRError naming the text (the
    range itself is checked by ``render.volumes.check_timesteps``).
    """
    timesteps: list[int] = []
    try:
        for part in text.split(","):
            fields = part.split(":")
            if len(fields) > 3:
                raise ValueError(part)
            if len(fields) == 1:
                timesteps.append(int(fields[0]))
                continue
            a, b, step = (fields + ["1"])[:3]
            timesteps += range(int(a) if a.strip() else 0, int(b) if b.strip() else total, int(step))
    except ValueError as exc:
        raise FCNRError(f"timesteps {text!r}: expected A:B[:STEP] ranges of integers, e.g. 30:60 or 0:30:2,60:90") from exc
    return sorted(set(timesteps))
