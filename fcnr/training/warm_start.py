"""Warm starts: a new model takes every tensor of a trained one whose name and shape it shares.

A model of the same variant and sizes takes all of them; a variant with other inter-view blocks
or priors (ECSIC, JCT-only, PE-only) takes the shared convolutions and keeps its own blocks
freshly initialised. A tensor of the same name but another shape means other sizes (N, M): that
model is not compatible and the warm start is refused, as is a model with an entropy context other
than the pair-only one into a model without it. The coder's CDF tables are never taken:
``update`` rebuilds them for the new weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from fcnr.codec.model_files import model_id
from fcnr.codec.model_io import CODER_TABLES, load_model
from fcnr.training.base_model import read_provenance, seen_timesteps
from render.basics.errors import FCNRError


def warm_start(model: torch.nn.Module, source_dir: str | os.PathLike) -> dict:
    """Copies the compatible tensors of the model in ``source_dir`` into ``model``; returns what it did.

    The result (JSON-ready) names the source, its model id, how many tensors were taken and the
    parameters left freshly initialised.
    """
    source_dir = Path(source_dir)
    source_model = load_model(source_dir)
    loaded, fresh = take_weights(model, source_model, f"--init {source_dir}")
    return {"path": str(source_dir), "model_id": model_id(source_dir), "variant": source_model.config["variant"],
            "tensors_loaded": loaded, "fresh": fresh, "base": seen_by(source_dir)}  # fmt: skip


def take_weights(model: torch.nn.Module, source_model: torch.nn.Module, label: str) -> tuple[int, list[str]]:
    """Copies ``source_model``'s tensors that ``model`` shares (name and shape) into ``model``.

    Returns how many were taken and the names of ``model``'s parameters left as initialised. Refuses
    (naming ``label``) other sizes, a context the model lacks, and a model with no shared decoder.
    """
    theirs, ours = source_model.config["context"], model.config["context"]
    if theirs != "pair" and theirs != ours:
        raise FCNRError(f"{label}: its entropy context is {theirs!r}, this model's {ours!r}: its "
                        f"parameters were trained with that context; train with --context {theirs} (train.context)")
    source = {k: v for k, v in source_model.state_dict().items() if not k.startswith(CODER_TABLES)}
    target = model.state_dict()
    clashes = [f"{k} {tuple(source[k].shape)} vs {tuple(v.shape)}" for k, v in target.items()
               if k in source and source[k].shape != v.shape]  # fmt: skip
    if clashes:
        sizes = ", ".join(f"{k}={model.config[k]}" for k in ("N", "M"))
        theirs = ", ".join(f"{k}={source_model.config[k]}" for k in ("N", "M"))
        raise FCNRError(f"{label}: not compatible with this model: its sizes ({theirs}) are not "
                        f"this model's ({sizes}); {clashes[0]}" + (f" and {len(clashes) - 1} more" if len(clashes) > 1 else "")
                        + "; train with the base model's N and M, or from scratch (no --init)")  # fmt: skip
    shared = {k: v for k, v in source.items() if k in target}
    if not any(k.startswith("g_s.") for k in shared):
        raise FCNRError(f"{label}: shares no decoder weights with this model")
    with torch.no_grad():
        for name, value in shared.items():
            target[name].copy_(value)
    return len(shared), sorted(k for k in target if k not in shared and not k.startswith(CODER_TABLES))


def seen_by(model_dir: Path) -> dict | None:
    """Returns what a published base model saw ({datasets: {ds: timesteps}, images: [{size, views}]}), else None.

    Both follow the chain of base models it continued from.
    """
    provenance = read_provenance(model_dir)
    if provenance is None:
        return None
    images, chain = [], provenance
    while chain:
        images += [{"size": i["size"], "views": i["views"]["count"]} for i in chain["images"]]
        chain = (chain.get("init") or {}).get("base")
    return {"datasets": seen_timesteps(provenance), "images": images}
