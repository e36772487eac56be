"""Paths that evaluate the synthesis transform g_s (decoder D) with the model's own weights.

Only the latents must be exact (the entropy path runs in float64 and every record carries their
CRC); the reconstruction may use faster arithmetic. Each path is a copy of ``g_s`` in another
memory layout or precision, built once per model and device:

=============  =========================================================================
path           what it computes
=============  =========================================================================
reference      ``g_s`` as trained: float32, NCHW (contiguous) tensors
fast-fp32      the same float32 network, its per-view convolutions on channels-last
               tensors (oneDNN's and cuDNN's fastest kernels for the upsampling tail); the
               inter-view block stays NCHW, where its attention reshapes cost nothing;
               equal up to float32 rounding
fast-bf16      the same layouts in bfloat16 (float32 accumulation), only where the hardware
               computes bfloat16 natively: CUDA, or CPUs with AVX512_BF16 or AMX
=============  =========================================================================

``auto`` picks ``fast-bf16`` where the hardware has it and ``fast-fp32`` elsewhere;
``FCNR_SYNTHESIS=reference`` (or ``--synthesis reference``) forces the reference path. Every path
is deterministic for a given machine and thread count, so a decoded image is the same in every
process there. ``bench/codec_speed.py`` measures each path's speed and its PSNR change.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import torch
from torch import nn

from fcnr.codec.layers import Stereo

PATHS = ("reference", "fast-fp32", "fast-bf16")
CHOICES = ("auto", *PATHS)
ENV = "FCNR_SYNTHESIS"
_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpu_flags(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> set[str]:
    """Returns the CPU feature flags the kernel reports (empty where there is no /proc/cpuinfo)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def native_bf16(device: torch.device) -> bool:
    """Returns True where ``device`` computes bfloat16 convolutions natively (not emulated)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and bool(cpu_flags() & _BF16_CPU_FLAGS)


def resolve_path(name: str | None, device: torch.device) -> str:
    """Returns the path to use for ``name`` (None: ``$FCNR_SYNTHESIS``, else auto) on ``device``."""
    name = (name or os.environ.get(ENV) or "auto").strip()
    if name not in CHOICES:
        raise ValueError(f"synthesis path {name!r}: choose one of {', '.join(CHOICES)}")
    if name == "auto":
        return "fast-bf16" if native_bf16(device) else "fast-fp32"
    return name


class Synthesis(nn.Module):
    """Runs one path's copy of ``g_s`` and returns float32 NCHW images, whatever its layout."""

    def __init__(self, g_s: nn.Module, path: str):
        super().__init__()
        if path not in PATHS:
            raise ValueError(f"synthesis path {path!r}: choose one of {', '.join(PATHS)}")
        self.path = path
        self.layout = torch.contiguous_format if path == "reference" else torch.channels_last
        self.dtype = torch.bfloat16 if path == "fast-bf16" else torch.float32
        self.net = copy.deepcopy(g_s).eval().to(dtype=self.dtype)
        # Per-view blocks (Stereo) run channels-last on the fast paths; inter-view blocks NCHW.
        self.layouts = [self.layout if isinstance(block, Stereo) else torch.contiguous_format for block in self.net]
        for block, layout in zip(self.net, self.layouts):
            block.to(memory_format=layout)

    def blocks(self) -> list[nn.Module]:
        """Returns the blocks of ``g_s`` in order (each takes and returns a pair)."""
        return list(self.net)

    @torch.no_grad()
    def forward(self, y_l: torch.Tensor, y_r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pair = (y_l.to(self.dtype), y_r.to(self.dtype))
        for block, layout in zip(self.net, self.layouts):
            pair = block(*(x.contiguous(memory_format=layout) for x in pair))
        return tuple(x.float().contiguous() for x in pair)
