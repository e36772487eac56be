"""Paths that evaluate the synthesis transform g_s (decoder D) with the model's own weights.

Only the latents must be exact (the entropy path runs in float64 and every record carries their
CRC); the reconstruction may use faster arithmetic whose PSNR change stays within 0.05 dB. Each
path is a copy of ``g_s`` in another memory layout or precision, built once per model and device:

=============  =========================================================================
path           what it computes
=============  =========================================================================
reference      ``g_s`` as trained: float32, NCHW (contiguous) tensors
fast-fp32      the same float32 network, its per-view convolutions on channels-last
               tensors (oneDNN's and cuDNN's fastest kernels for the upsampling tail); the
               inter-view block stays NCHW, where its attention reshapes cost nothing;
               equal up to float32 rounding (PSNR change below 0.001 dB)
fast-bf16      the same layouts in bfloat16 (float32 accumulation); opt-in only: on an
               H200 at 1024² it decoded 8 % faster than fast-fp32 but moved tornado IR's
               PSNR by -0.56 dB, past the 0.05 dB budget (``bench/gpu_check.py``)
=============  =========================================================================

``auto`` (the default) is ``fast-fp32`` on every device: measured, it is the fastest path within
the budget on the CPU and on CUDA (``bench/synthesis_speed.py``). ``FCNR_SYNTHESIS=reference``
(or ``fcnr decompress --synthesis reference``) forces the reference path. Every path is
deterministic for a given machine and thread count, so a decoded image is the same in every
process there.
"""

from __future__ import annotations

import copy
import os

import torch
from torch import nn

from fcnr.codec.layers import Stereo

PATHS = ("reference", "fast-fp32", "fast-bf16")
CHOICES = ("auto", *PATHS)
ENV = "FCNR_SYNTHESIS"


def resolve_path(name: str | None) -> str:
    """Returns the path to use for ``name`` (None: ``$FCNR_SYNTHESIS``, else auto)."""
    source = "--synthesis" if name else f"${ENV}" if os.environ.get(ENV) else "default"
    name = (name or os.environ.get(ENV) or "auto").strip()
    if name not in CHOICES:
        raise ValueError(f"{source}: synthesis path {name!r}: choose one of {', '.join(CHOICES)}")
    return "fast-fp32" if name == "auto" else name


class Synthesis(nn.Module):
    """Runs one path's copy of ``g_s`` and returns float32 NCHW images, whatever its layout."""

    def __init__(self, g_s: nn.Module, path: str):
        super().__init__()
        if path not in PATHS:
            raise ValueError(f"synthesis path {path!r}: choose one of {', '.join(PATHS)}")
        self.path = path
        per_view = torch.contiguous_format if path == "reference" else torch.channels_last
        self.dtype = torch.bfloat16 if path == "fast-bf16" else torch.float32
        self.net = copy.deepcopy(g_s).eval().to(dtype=self.dtype)
        # Per-view blocks (Stereo) run channels-last on the fast paths; inter-view blocks NCHW.
        self.layouts = [per_view if isinstance(block, Stereo) else torch.contiguous_format for block in self.net]
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
