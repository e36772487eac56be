"""Building blocks of FCNR (paper Fig. 2): stereo wrappers, JCTM, SCAM, SCMs and the PE prior.

Every two-image block takes and returns a pair ``(left, right)`` so the transforms in
``fcnr/codec/model.py`` read like the figure: convolutions applied to each view, attention between views.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class Stereo(nn.Module):
    """Applies one layer to each view; ``shared`` uses one set of weights for both."""

    def __init__(self, make_layer, shared: bool = False):
        super().__init__()
        self.left = make_layer()
        self.right = None if shared else make_layer()  # not an alias: state_dict holds each tensor once

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.left(left), (self.left if self.right is None else self.right)(right)


class StereoSequential(nn.Sequential):
    """Runs a chain of two-image blocks and returns the transformed pair."""

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for block in self:
            left, right = block(left, right)
        return left, right


def conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    """Returns a 3x3 convolution that divides the resolution by ``stride``."""
    return nn.Conv2d(cin, cout, 3, stride, 1)


def deconv(cin: int, cout: int, stride: int = 2) -> nn.ConvTranspose2d:
    """Returns a 3x3 transposed convolution that multiplies the resolution by ``stride``."""
    return nn.ConvTranspose2d(cin, cout, 3, stride, 1, stride - 1)


def prelu(channels: int) -> nn.PReLU:
    """Returns the PReLU used throughout ECSIC and FCNR (init 0.2)."""
    return nn.PReLU(channels, init=0.2)


class ResidualBlock(nn.Module):
    """Returns x + two 3x3 convolutions with LeakyReLU (a 1x1 skip when channels change)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.body = nn.Sequential(conv(cin, cout), nn.LeakyReLU(), conv(cout, cout), nn.LeakyReLU())
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class EfficientCrossAttention(nn.Module):
    """Returns the features of ``target`` attended over all positions of ``source`` (linear cost).

    Efficient attention as used by LDMIC's JCTM: keys are normalised over positions, queries over
    channels, so the cost grows with H*W instead of (H*W)^2 and the whole image is in view.
    """

    def __init__(self, channels: int, heads: int):
        super().__init__()
        head_dim = max(1, channels // (6 * heads))
        self.heads = heads
        inner = head_dim * heads
        self.query = nn.Conv2d(channels, inner, 1)
        self.key = nn.Conv2d(channels, inner, 1)
        self.value = nn.Conv2d(channels, inner, 1)
        self.out = nn.Conv2d(inner, channels, 1)

    def forward(self, target: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        b, _, h, w = target.shape
        q = self.query(target).reshape(b * self.heads, -1, h * w).softmax(dim=1)
        k = self.key(source).reshape(b * self.heads, -1, h * w).softmax(dim=2)
        v = self.value(source).reshape(b * self.heads, -1, h * w)
        context = k @ v.transpose(1, 2)  # (bh, dk, dv)
        attended = (context.transpose(1, 2) @ q).reshape(b, -1, h, w)
        return self.out(attended)


class JCTM(nn.Module):
    """Joint context transfer module (LDMIC, Zhang et al.): returns both views enriched by the other.

    Each view is refined by two residual blocks, attends globally over the other view, and the
    result is fused back residually.
    """

    def __init__(self, channels: int, heads: int = 2):
        super().__init__()
        self.features = nn.Sequential(ResidualBlock(channels, channels), ResidualBlock(channels, channels))
        self.attention = EfficientCrossAttention(channels, heads)
        self.refine = nn.Sequential(ResidualBlock(2 * channels, channels), ResidualBlock(channels, channels))

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fl, fr = self.features(left), self.features(right)
        from_right = self.attention(fl, fr)
        from_left = self.attention(fr, fl)
        return (
            left + self.refine(torch.cat([from_right, fl], dim=1)),
            right + self.refine(torch.cat([from_left, fr], dim=1)),
        )


class SCAM(nn.Module):
    """Stereo cross-attention module (ECSIC, Woedlinger et al.): returns both views enriched.

    Attention runs along each image row (the epipolar line of a rectified stereo pair): every
    position of one view attends over the same row of the other. ECSIC's size: ``heads`` (4)
    heads whose queries and keys are ``2 * channels`` wide each, values ``channels`` wide in all,
    all three 1-D convolutions along the row (kernel 3). Both directions are computed from the
    features before either is updated; a residual feed-forward layer follows.
    """

    def __init__(self, channels: int, heads: int = 4):
        super().__init__()
        if channels % heads:
            raise ValueError(f"SCAM: channels {channels} must be divisible by heads {heads}")
        self.norm_l, self.norm_r = nn.LayerNorm(channels), nn.LayerNorm(channels)
        self.rtl = _RowAttention(channels, heads, 2 * channels)
        self.ltr = _RowAttention(channels, heads, 2 * channels)
        self.ff_l, self.ff_r = nn.Linear(channels, channels), nn.Linear(channels, channels)

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, h, w = left.shape
        rows_l = left.permute(0, 2, 3, 1).reshape(b * h, w, c)
        rows_r = right.permute(0, 2, 3, 1).reshape(b * h, w, c)
        nl, nr = self.norm_l(rows_l), self.norm_r(rows_r)
        rows_l, rows_r = rows_l + self.rtl(nl, nr, rows_r), rows_r + self.ltr(nr, nl, rows_l)
        rows_l = rows_l + self.ff_l(rows_l)
        rows_r = rows_r + self.ff_r(rows_r)
        return (
            rows_l.reshape(b, h, w, c).permute(0, 3, 1, 2),
            rows_r.reshape(b, h, w, c).permute(0, 3, 1, 2),
        )


class _RowAttention(nn.Module):
    """Returns multi-head attention of query rows over key/value rows (convolutional projections).

    Queries and keys get ``qk_width`` channels per head; values ``channels / heads`` per head.
    """

    def __init__(self, channels: int, heads: int, qk_width: int):
        super().__init__()
        self.heads, self.qk_width = heads, qk_width
        self.q = nn.Conv1d(channels, heads * qk_width, 3, 1, 1)
        self.k = nn.Conv1d(channels, heads * qk_width, 3, 1, 1)
        self.v = nn.Conv1d(channels, channels, 3, 1, 1)
        self.out = nn.Linear(channels, channels)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        n, w, c = query.shape

        def heads(x: torch.Tensor, proj: nn.Conv1d) -> torch.Tensor:
            return proj(x.transpose(1, 2)).reshape(n, self.heads, -1, w).transpose(2, 3)

        attended = F.scaled_dot_product_attention(heads(query, self.q), heads(key, self.k), heads(value, self.v))
        return self.out(attended.transpose(1, 2).reshape(n, w, c))


SCAM_HEADS = 4  # ECSIC's attention heads; ``heads`` of the config sizes FCNR's JCTM (the paper's 2)


def stereo_attention(kind: str, channels: int, heads: int) -> nn.Module:
    """Returns the inter-view block of a variant: ``"jctm"`` (FCNR, ``heads`` heads) or ``"scam"`` (ECSIC's 4)."""
    if kind == "jctm":
        return JCTM(channels, heads)
    if kind == "scam":
        return SCAM(channels, SCAM_HEADS)
    raise ValueError(f"unknown attention kind {kind!r}; use 'jctm' or 'scam'")


class PositionalEncoding(nn.Module):
    """Returns PE(t, theta, phi) of Eqs. (6)-(7): sin/cos of b^i * pi * u, i < L, for each input."""

    def __init__(self, levels: int = 8, base: float = 1.25):
        super().__init__()
        self.levels, self.base = levels, base
        self.dim = 3 * 2 * levels

    def forward(self, params: torch.Tensor) -> torch.Tensor:
        freqs = self.base ** torch.arange(self.levels, dtype=params.dtype, device=params.device) * math.pi
        angles = params.unsqueeze(-1) * freqs  # (B, 3, L)
        return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)  # per input: sin, cos pairs


class PEPrior(nn.Module):
    """Returns channel-wise Laplace parameters (mu, b), each (B, M, 1, 1), as MLP(PE(p)) (Eq. 5, 9)."""

    def __init__(self, M: int, hidden: int, levels: int = 8, base: float = 1.25):
        super().__init__()
        self.pe = PositionalEncoding(levels, base)
        self.mlp = nn.Sequential(nn.Linear(self.pe.dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, 2 * M))

    def forward(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, b = self.mlp(self.pe(params)).chunk(2, dim=1)
        return mu[..., None, None], b[..., None, None]


class LearnedPrior(nn.Module):
    """Returns learned channel-wise Laplace parameters (mu, b), each (B, M, 1, 1) (ECSIC's z prior)."""

    def __init__(self, M: int):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(1, M, 1, 1))
        self.b = nn.Parameter(torch.empty(1, M, 1, 1).uniform_(1.0, 1.5))

    def forward(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = params.shape[0]
        return self.mu.expand(n, -1, -1, -1), self.b.expand(n, -1, -1, -1)


class ContextZ(nn.Module):
    """SCM cont_z (Eq. 8): returns (mu, b) of z_r from z_l_hat and the right view's prior."""

    def __init__(self, M: int):
        super().__init__()
        self.net = nn.Sequential(
            conv(3 * M, 4 * M), prelu(4 * M), conv(4 * M, 4 * M), prelu(4 * M), conv(4 * M, 2 * M)
        )

    def forward(self, z_l_hat: torch.Tensor, prior: tuple[torch.Tensor, torch.Tensor]):
        mu, b = (p.expand_as(z_l_hat) for p in prior)
        mu, b = self.net(torch.cat([mu, b, z_l_hat], dim=1)).chunk(2, dim=1)
        return mu, b


class ContextY(nn.Module):
    """SCM cont_y (Eq. 11): returns (mu, b) of y_r from y_l_hat and h_D's features of z_r_hat."""

    def __init__(self, N: int, M: int, attention: str, heads: int):
        super().__init__()
        self.from_left = nn.Sequential(conv(M, N), prelu(N))
        self.from_hyper = nn.Sequential(conv(N, N), prelu(N))
        self.attention = stereo_attention(attention, N, heads)
        self.fuse = nn.Sequential(prelu(2 * N), conv(2 * N, 2 * M))

    def forward(self, y_l_hat: torch.Tensor, phi_r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        left, right = self.attention(self.from_left(y_l_hat), self.from_hyper(phi_r))
        mu, b = self.fuse(torch.cat([left, right], dim=1)).chunk(2, dim=1)
        return mu, b


def anchor_mask(like: torch.Tensor) -> torch.Tensor:
    """Returns the checkerboard's anchors of ``like``'s (h, w): 1 where (row + column) is even, else 0."""
    h, w = like.shape[-2:]
    rows = torch.arange(h, device=like.device).view(-1, 1)
    cols = torch.arange(w, device=like.device).view(1, -1)
    return ((rows + cols) % 2 == 0).to(like.dtype).expand_as(like)


class CheckerboardContext(nn.Module):
    """Second-pass (mu, b) of a latent's non-anchors from its decoded anchors (He et al., CVPR 2021).

    A latent is coded in two passes: the anchors ((row + column) even) with the hyperprior's (mu, b),
    then the rest with (mu, b) plus this network's corrections of the decoded anchors. The last
    layer starts at zero, so a model warm-started without it starts as the one-pass model.
    """

    def __init__(self, N: int, M: int):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(M, N, 5, 1, 2), prelu(N), nn.Conv2d(N, 2 * M, 1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, anchors_hat: torch.Tensor, mu: torch.Tensor, b: torch.Tensor, anchors: torch.Tensor):
        """Returns the second pass's (mu, b): the first pass's on the anchors, corrected elsewhere."""
        d_mu, d_b = self.net(anchors_hat).chunk(2, dim=1)
        rest = 1 - anchors
        return mu + d_mu * rest, b + d_b * rest
