"""A trained model on disk: ``MODEL/config.json`` + ``MODEL/weights.safetensors`` (never pickle).

The network weights are stored in float16 (``STORED_DTYPE``: half the bytes a decoder ships, for a
quality change measured below 0.01 dB, ``python -m bench.weight_precision``) and computed with in float32 after
loading; the coder's CDF tables (built by ``model.update``) are stored as they are, int32, so a
decoder uses exactly the tables the encoder used, whatever its libm. Encoder and decoder both load
the same file, so both compute with the same rounded weights. ``fcnr.codec.model_files.model_id``
names the pair of files; shards store it to refuse decoding with another model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from fcnr.codec.model import FCNRModel, build_model
from fcnr.codec.model_files import CONFIG, WEIGHTS
from render.basics.atomic import write_bytes, write_json
from render.basics.errors import FCNRError

STORED_DTYPE = torch.float16
CODER_TABLES = "laplace."  # the entropy coder's buffers: kept exactly as built


def state_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Returns the module's state as contiguous CPU tensors, ready for safetensors."""
    return {name: t.detach().cpu().contiguous() for name, t in module.state_dict().items()}


def stored_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Returns the module's state as saved: network tensors in ``STORED_DTYPE``, coder tables as they are."""
    return {name: t.to(STORED_DTYPE) if t.is_floating_point() and not name.startswith(CODER_TABLES) else t
            for name, t in state_tensors(module).items()}  # fmt: skip


def save_model(model: FCNRModel, model_dir: str | os.PathLike) -> None:
    """Writes ``model`` (after building its CDF tables) to ``model_dir``, its weights rounded to ``STORED_DTYPE``."""
    model_dir = Path(model_dir)
    model.update(force=True)
    write_bytes(model_dir / WEIGHTS, save_safetensors(stored_tensors(model)))
    write_json(model_dir / CONFIG, model.config)


def load_model(
    model_dir: str | os.PathLike, device: str | torch.device = "cpu", synthesis: str | None = None
) -> FCNRModel:
    """Returns the model stored in ``model_dir`` in eval mode, ready to compress and decompress.

    ``synthesis`` chooses how decoding evaluates g_s (``fcnr.codec.synthesis``; None: auto).
    """
    model_dir = Path(model_dir)
    config = read_config(model_dir)
    try:
        model = build_model(config)
    except ValueError as exc:
        raise FCNRError(f"{model_dir / CONFIG}: {exc}") from exc
    model.update(force=True)  # sizes the CDF buffers; their saved values are loaded below
    try:
        state = load_safetensors((model_dir / WEIGHTS).read_bytes())
    except OSError as exc:
        raise FCNRError(f"{model_dir / WEIGHTS}: cannot read: {exc.strerror or exc}; train the model first") from exc
    except SafetensorError as exc:
        raise FCNRError(f"{model_dir / WEIGHTS}: not a valid safetensors file ({exc})") from exc
    load_state(model, state, model_dir / WEIGHTS)
    model.synthesis_path = synthesis
    return model.to(device).eval()


def load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], source) -> None:
    """Loads tensors saved by ``state_tensors`` into ``model``; a mismatch names ``source``."""
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise FCNRError(f"{source}: weights do not match the config (files of different models?): {exc}") from exc


def read_config(model_dir: str | os.PathLike) -> dict:
    """Returns the parsed ``config.json`` of a model directory."""
    path = Path(model_dir) / CONFIG
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read: {exc.strerror or exc}; is {model_dir} a trained model?") from exc
    except json.JSONDecodeError as exc:
        raise FCNRError(f"{path}: not valid JSON ({exc})") from exc
