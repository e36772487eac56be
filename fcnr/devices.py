"""Torch devices by name: ``auto`` (CUDA when present, else the CPU), ``cpu``, ``cuda``, ``cuda:N``."""

from __future__ import annotations

import argparse

from render.basics.errors import FCNRError

CHOICES = "auto, cpu, cuda or cuda:N"


def resolve_device(name: str):
    """Returns the ``torch.device`` for ``name``; CUDA asked for where there is none is an FCNRError."""
    import torch

    name = (name or "auto").strip()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise FCNRError(f"device {name!r}: not a torch device; use {CHOICES}") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise FCNRError(f"device {name!r}: CUDA is not available here; use auto or cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise FCNRError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type != "cpu":
        raise FCNRError(f"device {name!r}: unsupported; use {CHOICES}")
    return device


def add_device_argument(parser: argparse.ArgumentParser, purpose: str) -> None:
    """Adds ``--device`` (default auto) to a command's parser; ``purpose`` completes 'torch device to ...'."""
    parser.add_argument("--device", default="auto",
                        help=f"torch device to {purpose}: {CHOICES} (default auto: CUDA when present)")  # fmt: skip
