"""Uniform min/scale quantization of tensors, as the NeRV / HNeRV pipelines store weights and embeddings.

A tensor becomes ``bits``-bit integers q with x ~ min + scale * q (HNeRV's ``quant_tensor``):
``min`` and ``scale`` are stored as float16, either one pair for the whole tensor or one pair per
slice along one axis ("per channel"). Every axis whose slices would cost fewer than 2 % of the
tensor's elements in pairs is tried besides the whole tensor, and the choice with the lowest mean
absolute error wins. Quantization uses the float16-rounded min and scale, so dequantizing what a
file holds gives exactly the tensor the encoder measured its error on.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

WHOLE = -1  # the axis value of one min/scale pair for the whole tensor
MAX_OVERHEAD = 0.02


@dataclass(frozen=True)
class Quantized:
    """A tensor as integers in [0, 2^bits) with float16 ``minimum`` and ``scale`` (per tensor or along ``axis``)."""

    symbols: torch.Tensor  # int64, the tensor's shape
    minimum: torch.Tensor  # float16, one value per slice along ``axis`` (one value for WHOLE)
    scale: torch.Tensor  # float16, like ``minimum``
    axis: int
    bits: int

    def dequantize(self) -> torch.Tensor:
        """Returns the float32 tensor min + scale * q (the same on every machine)."""
        ndim = self.symbols.dim()
        return _along(self.minimum, self.axis, ndim) + _along(self.scale, self.axis, ndim) * self.symbols.float()


def _along(values: torch.Tensor, axis: int, ndim: int) -> torch.Tensor:
    """Returns per-slice ``values`` as float32, shaped to broadcast along ``axis`` of an ``ndim`` tensor."""
    values = values.float()
    if axis == WHOLE:
        return values.reshape([])
    shape = [1] * ndim
    shape[axis] = -1
    return values.reshape(shape)


def candidate_axes(shape: torch.Size) -> list[int]:
    """Returns WHOLE and every axis whose per-slice pairs stay under 2 % of the elements."""
    numel = max(1, shape.numel())
    return [WHOLE] + [axis for axis, n in enumerate(shape) if n > 1 and n / numel < MAX_OVERHEAD]


def quantize_along(x: torch.Tensor, bits: int, axis: int) -> Quantized:
    """Returns ``x`` quantized to ``bits`` bits with one (min, scale) per slice along ``axis`` (or WHOLE)."""
    x = x.detach().to(torch.float32).cpu()
    if axis == WHOLE:
        low, high = x.min().reshape(1), x.max().reshape(1)
    else:
        moved = x.movedim(axis, 0).reshape(x.shape[axis], -1)
        low, high = moved.min(dim=1).values, moved.max(dim=1).values
    levels = 2**bits - 1
    minimum = low.to(torch.float16)
    scale = ((high - minimum.float()) / levels).to(torch.float16)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # a constant slice: every q is 0
    q = torch.round((x - _along(minimum, axis, x.dim())) / _along(scale, axis, x.dim())).clamp(0, levels)
    return Quantized(q.to(torch.int64), minimum, scale, axis, bits)


def quantize(x: torch.Tensor, bits: int) -> Quantized:
    """Returns ``x`` quantized to ``bits`` bits along the candidate axis with the lowest mean absolute error."""
    if not torch.isfinite(x).all():
        raise ValueError("cannot quantize a tensor with NaN or Inf values")
    best, best_error = None, None
    for axis in candidate_axes(x.shape):
        q = quantize_along(x, bits, axis)
        error = float((q.dequantize() - x.detach().float().cpu()).abs().mean())
        if best_error is None or error < best_error:
            best, best_error = q, error
    return best
