"""E-NeRV (Li et al., ECCV 2022, kyleleey/E-NeRV ``model/E_NeRV.py``) on view parameters (t, theta, phi).

The reference maps a frame index t through PE(t) to a temporal embedding that multiplies a learned
spatial token grid, then upsamples with NeRV blocks modulated by t. As the FCNR paper does for its
INR baselines (Sec. 5), the frame index is replaced by (t, theta, phi) normalised to [0, 1], encoded
with FCNR's own PE (base 1.25, ``levels`` per input, concatenated: 6 * levels values), feeding both
the temporal stem and the modulation branch. Everything else follows the reference:

- spatial branch: a fixed fc_h x fc_w grid (x = i / fc_h, y = j / fc_w), each coordinate PE'd,
  Linear + GELU to ``width``, one single-head transformer block;
- fusion: tokens * temporal embedding, a ``heads``-head transformer block, reshaped to
  ``width`` x fc_h x fc_w;
- stages: InstanceNorm (no affine), then x * gamma + beta with (gamma, beta) = GELU(Linear(t_mod))
  per stage, then upsampling: stage 0 conv3 -> PixelShuffle -> conv3 -> GELU (``Conv_Up_Block``
  with expansion 1), later stages NeRV blocks whose width halves down to ``lower_width``;
- head: 1x1 conv to RGB, sigmoid.

Sizes scale with ``width``: temporal stem hidden 2 * width, feed-forward width, modulation
width / 2 (at least 8); ``dim_head`` is configurable (the reference hard-codes 64, too large for
budgets of tens of thousands of parameters).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from fcnr.codec.layers import PositionalEncoding
from fcnr.inr.base import INR
from fcnr.inr.layers import NeRVBlock, TransformerBlock, mlp

DEFAULTS = {"levels": 8, "base": 1.25, "heads": 2, "dim_head": 16, "lower_width": 8, "reduction": 2}


def stage_widths(width: int, stages: int, reduction: int, lower_width: int) -> list[int]:
    """Returns the output width of each upsampling stage: ``width`` first, then divided down to ``lower_width``."""
    widths = [width]
    for _ in range(stages - 1):
        widths.append(max(widths[-1] // reduction, lower_width))
    return widths


class ENeRV(INR):
    """E-NeRV generator on PE(t, theta, phi); config keys: width, fc, strides and ``DEFAULTS``."""

    method = "enerv"

    def __init__(self, config: dict[str, Any]):
        config = {**DEFAULTS, **config}
        super().__init__(config)
        width, (fc_h, fc_w) = config["width"], config["fc"]
        t_dim = max(8, width // 2)
        self.pe = PositionalEncoding(config["levels"], config["base"])
        self.stem_t = mlp([self.pe.dim, 2 * width, width])
        self.t_branch = mlp([self.pe.dim, t_dim, t_dim])
        grid = torch.meshgrid(torch.arange(fc_h) / fc_h, torch.arange(fc_w) / fc_w, indexing="ij")
        self.register_buffer("xy", torch.stack(grid, -1).reshape(-1, 2), persistent=False)
        self.stem_xy = mlp([2 * 2 * config["levels"], width])
        self.trans1 = TransformerBlock(width, 1, config["dim_head"], width)
        self.trans2 = TransformerBlock(width, config["heads"], config["dim_head"], width)
        self.norms, self.t_layers, self.stages = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        widths = stage_widths(width, len(config["strides"]), config["reduction"], config["lower_width"])
        cin = width
        for i, (stride, cout) in enumerate(zip(config["strides"], widths)):
            self.norms.append(nn.InstanceNorm2d(cin, affine=False))
            self.t_layers.append(mlp([t_dim, 2 * cin]))
            if i == 0:
                mid = max(1, cin // 4)
                self.stages.append(nn.Sequential(nn.Conv2d(cin, mid * stride * stride, 3, 1, 1),
                                                 nn.PixelShuffle(stride), nn.Conv2d(mid, cout, 3, 1, 1), nn.GELU()))
            else:
                self.stages.append(NeRVBlock(cin, cout, stride))
            cin = cout
        self.head = nn.Conv2d(cin, 3, 1)

    def synthesize(self, codes: torch.Tensor) -> torch.Tensor:
        fc_h, fc_w = self.config["fc"]
        pe = self.pe(codes)
        t_emb, t_mod = self.stem_t(pe), self.t_branch(pe)
        xy = self.stem_xy(self.pe(self.xy))  # the grid's two coordinates, each encoded like t, theta, phi
        tokens = self.trans1(xy.unsqueeze(0).expand(codes.shape[0], -1, -1))
        x = self.trans2(tokens * t_emb.unsqueeze(1))
        x = x.transpose(1, 2).reshape(codes.shape[0], -1, fc_h, fc_w)
        for norm, t_layer, stage in zip(self.norms, self.t_layers, self.stages):
            gamma, beta = t_layer(t_mod).chunk(2, dim=-1)
            x = stage(norm(x) * gamma[..., None, None] + beta[..., None, None])
        return torch.sigmoid(self.head(x))
