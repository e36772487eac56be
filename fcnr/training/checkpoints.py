"""Resumable training state on disk: model, optimizer and RNG in safetensors, the rest in JSON (never pickle).

A checkpoint is ``FOLDER/{name}.safetensors`` (``model/...``, ``optim/{i}/{key}``, ``rng/cpu`` and,
on CUDA, ``rng/cuda``) plus ``FOLDER/{name}.json`` (the caller's fields, the optimizer's param
groups and its non-tensor state). The JSON is written last, so a checkpoint without it is
incomplete and ignored. Names sort in training order (zero-padded counters).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from fcnr.codec.model_io import load_state, state_tensors
from render.basics.atomic import write_bytes, write_json

KEEP = 2  # checkpoints kept per folder: the newest and the one before it


@dataclass
class Checkpoint:
    """A loaded checkpoint: the caller's JSON fields and every tensor."""

    path: Path
    meta: dict
    tensors: dict[str, torch.Tensor]


def save_checkpoint(folder: Path, name: str, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    meta: dict, device: torch.device) -> None:  # fmt: skip
    """Writes ``folder/name`` and removes all but the ``KEEP`` newest checkpoints of the same prefix."""
    tensors = {f"model/{k}": v for k, v in state_tensors(model).items()}
    scalars: dict[str, dict] = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"optim/{index}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[key] = value
    tensors["rng/cpu"] = torch.get_rng_state()
    if device.type == "cuda":
        tensors["rng/cuda"] = torch.cuda.get_rng_state(device)
    base = Path(folder) / name
    write_bytes(base.with_suffix(".safetensors"), save_safetensors(tensors))
    write_json(base.with_suffix(".json"), {**meta, "param_groups": optimizer.state_dict()["param_groups"],
                                           "optim_scalars": scalars})  # fmt: skip
    prefix = name.rstrip("0123456789")
    for old in sorted(Path(folder).glob(f"{prefix}*.json"))[:-KEEP]:
        old.unlink()
        old.with_suffix(".safetensors").unlink(missing_ok=True)


def latest_checkpoint(folder: Path, prefix: str) -> Checkpoint | None:
    """Returns the newest complete checkpoint ``folder/{prefix}*`` (None when there is none)."""
    found = sorted(Path(folder).glob(f"{prefix}*.json"))
    if not found:
        return None
    path = found[-1]
    return Checkpoint(path, json.loads(path.read_text()), load_safetensors(path.with_suffix(".safetensors").read_bytes()))


def restore(checkpoint: Checkpoint, model: torch.nn.Module, optimizer: torch.optim.Optimizer, device) -> None:
    """Loads a checkpoint's model, optimizer and RNG state."""
    tensors = checkpoint.tensors
    load_state(model, {k[6:]: v for k, v in tensors.items() if k.startswith("model/")}, checkpoint.path)
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim/"):
            _, index, name = key.split("/", 2)
            state.setdefault(int(index), {})[name] = value.to(device)
    for index, extra in checkpoint.meta["optim_scalars"].items():
        state.setdefault(int(index), {}).update(extra)
    optimizer.load_state_dict({"state": state, "param_groups": checkpoint.meta["param_groups"]})
    torch.set_rng_state(tensors["rng/cpu"])
    if torch.device(device).type == "cuda" and "rng/cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng/cuda"], device)
