"""Building blocks the INRs share: NeRV upsampling blocks, MLPs, transformer and ConvNeXt blocks.

Names follow the reference code: a NeRV block is conv -> PixelShuffle -> GELU (NeRV, E-NeRV and
HNeRV's decoders); E-NeRV's transformer blocks have residual attention and feed-forward parts and
no normalisation; HNeRV's encoder is ConvNeXt with one block per stage.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn


def mlp(dims: list[int]) -> nn.Sequential:
    """Returns Linear layers through ``dims``, each followed by GELU (NeRV's ``NeRV_MLP``, last one included)."""
    layers: list[nn.Module] = []
    for cin, cout in itertools.pairwise(dims):
        layers += [nn.Linear(cin, cout), nn.GELU()]
    return nn.Sequential(*layers)


def up_strides(ratio: int, stages: int) -> list[int]:
    """Returns ``stages`` power-of-two strides whose product is ``ratio``, the larger ones first.

    E.g. 32 in 4 stages -> [4, 2, 2, 2]; 128 in 5 -> [4, 4, 2, 2, 2]; 512 in 5 -> [4, 4, 4, 4, 2].
    """
    bits = int(math.log2(ratio)) if ratio >= 1 else -1
    if bits < 0 or 2**bits != ratio:
        raise ValueError(f"the upsampling ratio must be a power of two, got {ratio}")
    if not 1 <= stages <= bits:
        raise ValueError(f"cannot split an upsampling of {ratio} into {stages} stages of at least 2")
    low, extra = divmod(bits, stages)
    return [2 ** (low + (i < extra)) for i in range(stages)]


class NeRVBlock(nn.Module):
    """Returns GELU(PixelShuffle_s(conv_k(x))): ``cin`` channels at H x W to ``cout`` at sH x sW."""

    def __init__(self, cin: int, cout: int, stride: int, kernel: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout * stride * stride, kernel, 1, (kernel - 1) // 2)
        self.shuffle = nn.PixelShuffle(stride)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.shuffle(self.conv(x)))


class Attention(nn.Module):
    """Returns multi-head self-attention of a (B, N, dim) token set (E-NeRV's, no bias on q, k, v)."""

    def __init__(self, dim: int, heads: int, dim_head: int):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.scale = heads, dim_head**-0.5
        self.to_qkv = nn.Linear(dim, 3 * inner, bias=False)
        self.to_out = nn.Identity() if heads == 1 and dim_head == dim else nn.Linear(inner, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = (t.view(b, n, self.heads, -1).transpose(1, 2) for t in self.to_qkv(x).chunk(3, dim=-1))
        out = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1) @ v
        return self.to_out(out.transpose(1, 2).reshape(b, n, -1))


class TransformerBlock(nn.Module):
    """Returns x + attention, then + feed-forward (E-NeRV's TransformerBlock without pre-norm)."""

    def __init__(self, dim: int, heads: int, dim_head: int, mlp_dim: int):
        super().__init__()
        self.attn = Attention(dim, heads, dim_head)
        self.ffn = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attn(x) + x
        return self.ffn(x) + x


class LayerNorm2d(nn.Module):
    """Returns a LayerNorm over the channels of an NCHW tensor (ConvNeXt's channels-first form)."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2], self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """Returns x + gamma * MLP(LN(dwconv7(x))) (Liu et al. 2022), layer scale initialised to 1e-6."""

    def __init__(self, dim: int, layer_scale: float = 1e-6):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(layer_scale * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.gamma * self.pwconv2(self.act(self.pwconv1(self.norm(y))))
        return x + y.permute(0, 3, 1, 2)


class ConvNeXtEncoder(nn.Module):
    """Returns the embedding of an image: ConvNeXt stages that each downsample by their stride.

    Stage i: a convolution whose kernel equals its stride (LayerNorm after it in stage 0, before it
    in the others), then one ConvNeXt block. HNeRV's ``ConvNeXt`` with ``stage_blocks = 1``.
    """

    def __init__(self, strides: list[int], dims: list[int]):
        super().__init__()
        self.down = nn.ModuleList()
        self.blocks = nn.ModuleList()
        cin = 3
        for i, (stride, dim) in enumerate(zip(strides, dims)):
            conv = nn.Conv2d(cin, dim, stride, stride)
            self.down.append(nn.Sequential(conv, LayerNorm2d(dim)) if i == 0 else nn.Sequential(LayerNorm2d(cin), conv))
            self.blocks.append(ConvNeXtBlock(dim))
            cin = dim
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for down, block in zip(self.down, self.blocks):
            x = block(down(x))
        return x
