"""The FCNR model (paper Sec. 3, Fig. 1-2) and its ablation variants.

Transforms follow CompressAI's names: ``g_a`` = encoder E, ``g_s`` = decoder D, ``h_a`` = hyper-encoder
h_E; the networks that predict Laplace parameters (PE priors, cont_z, h_D, cont_y) live together in
``EntropyParameters`` because the codec runs them in float64 (see ``fcnr/codec/entropy.py``).

Variants (paper's ablation, Sec. 4): the inter-view block and the prior of z_l / z_r.

=========  ==============  =====================================
variant    inter-view      z_l prior / z_r prior input
=========  ==============  =====================================
fcnr       JCTM            MLP(PE(t, theta, phi)) (Eqs. 5, 9)
ecsic      SCAM            learned channel-wise constants
jct-only   JCTM            learned channel-wise constants
pe-only    SCAM            MLP(PE(t, theta, phi))
=========  ==============  =====================================

Entropy context (``context``, any variant; ``fcnr.codec.variants.CONTEXTS``): ``pair`` codes each
latent in one pass; ``checkerboard`` codes z_l, y_l and y_r in two, the anchors with the parameters
above and the rest with ``CheckerboardContext``'s corrections from the decoded anchors, all in the
pair's one rANS stream.
"""

from __future__ import annotations

import contextlib
import copy
import zlib
from functools import partial

import torch
import torch.nn.functional as F
from compressai.ans import BufferedRansEncoder, RansDecoder
from torch import nn

from fcnr.codec.entropy import LaplaceConditional, quantize_means
from fcnr.codec.layers import (
    CheckerboardContext,
    ContextY,
    ContextZ,
    LearnedPrior,
    PEPrior,
    Stereo,
    StereoSequential,
    anchor_mask,
    conv,
    deconv,
    prelu,
    stereo_attention,
)
from fcnr.codec.synthesis import Synthesis, resolve_path
from fcnr.codec.variants import CONTEXTS, VARIANTS
from fcnr.schemas import model_default

# The settings that define the network; their defaults are the model schema's (the paper's N=192, M=48).
ARCHITECTURE = ("variant", "N", "M", "heads", "pe_L", "pe_b", "context")
DEFAULTS = {key: model_default(key) for key in ARCHITECTURE}
LATENTS = ("z_l", "z_r", "y_l", "y_r")
TWO_PASS = ("z_l", "y_l", "y_r")  # the latents a checkerboard context codes in two passes (z_r is nearly empty)


def build_model(config: dict) -> FCNRModel:
    """Returns an FCNR model (in training mode) for ``config`` (defaults: ``DEFAULTS``)."""
    return FCNRModel(config)


def latents_crc(latents: dict[str, torch.Tensor]) -> int:
    """Returns the CRC32 of the quantised latents (z_l, z_r, y_l, y_r as little-endian float32)."""
    crc = 0
    for name in LATENTS:
        values = latents[name].detach().float().cpu() + 0.0  # + 0.0 maps -0.0 to 0.0
        crc = zlib.crc32(values.contiguous().numpy().astype("<f4").tobytes(), crc)
    return crc


class EntropyParameters(nn.Module):
    """Networks that return the Laplace (mu, b) of each latent from already decoded data."""

    def __init__(
        self, N: int, M: int, attention: str, heads: int, prior: str, pe_L: int, pe_b: float, context: str = "pair"
    ):
        super().__init__()
        make_prior = (lambda: PEPrior(M, N, pe_L, pe_b)) if prior == "pe" else (lambda: LearnedPrior(M))
        self.prior_l, self.prior_r = make_prior(), make_prior()
        self.cont_z = ContextZ(M)
        # h_D (Fig. 2b): up to y's resolution with an inter-view block; one head per view.
        self.h_s = StereoSequential(
            Stereo(lambda: deconv(M, N)),
            Stereo(lambda: prelu(N)),
            stereo_attention(attention, N, heads),
            Stereo(lambda: prelu(N)),
            Stereo(lambda: deconv(N, N)),
            Stereo(lambda: prelu(N)),
        )
        # One output head per view: y_l's (mu, b), and for y_r an N -> N convolution whose
        # features cont_y combines with y_l_hat (the reference's hd_out_left / hd_out_right).
        self.h_s_out_l = conv(N, 2 * M)
        self.h_s_out_r = conv(N, N)
        self.cont_y = ContextY(N, M, attention, heads)
        self.checkerboard = (
            nn.ModuleDict({name: CheckerboardContext(N, M) for name in TWO_PASS}) if context == "checkerboard" else None
        )

    def two_pass(self, name: str) -> bool:
        """Returns True if latent ``name`` is coded in two passes (anchors first)."""
        return self.checkerboard is not None and name in TWO_PASS

    def second_pass(self, name: str, anchors_hat: torch.Tensor, mu: torch.Tensor, b: torch.Tensor):
        """Returns (mu, b) of latent ``name``'s non-anchors from its decoded anchors (zero elsewhere)."""
        mu, b = mu.expand_as(anchors_hat), b.expand_as(anchors_hat)
        return self.checkerboard[name](anchors_hat, mu, b, anchor_mask(anchors_hat))

    def z_left(self, p_l: torch.Tensor):
        """Returns (mu, b) of z_l: channel-wise, from the view parameters (Eq. 5)."""
        return self.prior_l(p_l)

    def z_right(self, z_l_hat: torch.Tensor, p_r: torch.Tensor):
        """Returns (mu, b) of z_r = cont_z(z_l_hat, phi_r^z) (Eqs. 8-9)."""
        return self.cont_z(z_l_hat, self.prior_r(p_r))

    def y_left(self, z_l_hat: torch.Tensor, z_r_hat: torch.Tensor):
        """Returns ((mu, b) of y_l, h_D's features phi_r^y for y_r) (Eq. 10)."""
        phi_l, phi_r = self.h_s(z_l_hat, z_r_hat)
        return self.h_s_out_l(phi_l).chunk(2, dim=1), self.h_s_out_r(phi_r)

    def y_right(self, y_l_hat: torch.Tensor, phi_r: torch.Tensor):
        """Returns (mu, b) of y_r = cont_y(y_l_hat, phi_r^y) (Eq. 11)."""
        return self.cont_y(y_l_hat, phi_r)


class FCNRModel(nn.Module):
    """FCNR: compresses a pair of neighbouring views jointly (``forward``, ``compress``, ``decompress``)."""

    stride = 32  # g_a divides by 8, h_a by 4 more

    def __init__(self, config: dict):
        super().__init__()
        unknown = set(config) - set(DEFAULTS) - {"t_range"}
        if unknown:
            raise ValueError(f"unknown model config keys {sorted(unknown)}; known: {sorted(DEFAULTS)} and t_range")
        self.config = {**DEFAULTS, **config}
        variant = self.config["variant"]
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")
        if self.config["context"] not in CONTEXTS:
            raise ValueError(f"unknown context {self.config['context']!r}; choose one of {sorted(CONTEXTS)}")
        N, M, heads = (int(self.config[k]) for k in ("N", "M", "heads"))
        attention, prior = VARIANTS[variant].attention, VARIANTS[variant].prior

        # E (Fig. 2a): three stride-2 convolutions shared by both views, an inter-view block, conv to M.
        self.g_a = StereoSequential(
            Stereo(lambda: conv(3, N, 2), True), Stereo(lambda: prelu(N), True),
            Stereo(lambda: conv(N, N, 2), True), Stereo(lambda: prelu(N), True),
            Stereo(lambda: conv(N, N, 2), True), Stereo(lambda: prelu(N), True),
            stereo_attention(attention, N, heads), Stereo(lambda: prelu(N)),
            Stereo(lambda: conv(N, M)),
        )  # fmt: skip
        # h_E (Fig. 2a): two stride-2 convolutions, an inter-view block, conv to M.
        self.h_a = StereoSequential(
            Stereo(lambda: conv(M, N, 2)), Stereo(lambda: prelu(N)),
            Stereo(lambda: conv(N, N, 2)), Stereo(lambda: prelu(N)),
            stereo_attention(attention, N, heads), Stereo(lambda: prelu(N)),
            Stereo(lambda: conv(N, M)),
        )  # fmt: skip
        # D (Fig. 2b): transposed convolutions back to full resolution, an inter-view block.
        self.g_s = StereoSequential(
            Stereo(lambda: deconv(M, N)), Stereo(lambda: prelu(N)),
            stereo_attention(attention, N, heads), Stereo(lambda: prelu(N)),
            Stereo(lambda: deconv(N, N)), Stereo(lambda: prelu(N)),
            Stereo(lambda: deconv(N, N)), Stereo(lambda: prelu(N)),
            Stereo(lambda: conv(N, 3)),
        )  # fmt: skip
        self.entropy_parameters = EntropyParameters(
            N, M, attention, heads, prior, int(self.config["pe_L"]), float(self.config["pe_b"]), self.config["context"]
        )
        self.laplace = LaplaceConditional()
        self.synthesis_path: str | None = None  # None: $FCNR_SYNTHESIS, else auto (fcnr.codec.synthesis)
        # Derived copies kept out of state_dict: the float64 entropy networks, the synthesis path.
        self._derived: dict[str, tuple] = {}

    # ---- training / evaluation -------------------------------------------------------------
    def forward(self, x_l: torch.Tensor, x_r: torch.Tensor, p_l: torch.Tensor, p_r: torch.Tensor) -> dict:
        """Returns {"x_hat": (x_l_hat, x_r_hat), "likelihoods": {z_l, z_r, y_l, y_r}}."""
        size = x_l.shape[-2:]
        y_l, y_r = self.g_a(self._pad(x_l), self._pad(x_r))
        z_l, z_r = self.h_a(y_l, y_r)
        params, rate = self.entropy_parameters, self._rate
        z_l_hat, lik_zl = rate("z_l", z_l, *params.z_left(p_l))
        z_r_hat, lik_zr = rate("z_r", z_r, *params.z_right(z_l_hat, p_r))
        (mu, b), phi_r = params.y_left(z_l_hat, z_r_hat)
        y_l_hat, lik_yl = rate("y_l", y_l, mu, b)
        y_r_hat, lik_yr = rate("y_r", y_r, *params.y_right(y_l_hat, phi_r))
        x_l_hat, x_r_hat = self.g_s(y_l_hat, y_r_hat)
        return {
            "x_hat": (self._crop(x_l_hat, size), self._crop(x_r_hat, size)),
            "likelihoods": {"z_l": lik_zl, "z_r": lik_zr, "y_l": lik_yl, "y_r": lik_yr},
        }

    def _rate(self, name: str, y: torch.Tensor, mu: torch.Tensor, b: torch.Tensor):
        """Returns (y_hat, likelihoods) of latent ``name``; a two-pass latent's non-anchors see its anchors."""
        params = self.entropy_parameters
        # Likelihoods in float32 even under autocast: float16 underflows the Laplace tails.
        with torch.autocast(y.device.type, enabled=False):
            y, mu, b = y.float(), mu.float(), b.float()
            if params.two_pass(name):
                anchors_hat = self.laplace.dequantize_forward(y, quantize_means(mu)) * anchor_mask(y)
                mu, b = params.second_pass(name, anchors_hat, mu, b)
            return self.laplace.rate_forward(y, mu, b, self.training)

    # ---- real bitstreams ---------------------------------------------------------------------
    def update(self, force: bool = True) -> bool:
        """Builds the coder's CDF tables (call after training); returns True if they were built."""
        self._derived.clear()
        if self.laplace.offset.numel() > 0 and not force:
            return False
        self.laplace.update()
        return True

    @torch.no_grad()
    def compress(self, x_l, x_r, p_l, p_r, return_latents: bool = False) -> dict:
        """Returns {"strings": [one rANS stream of z_l, z_r, y_l, y_r], "shape": z's (h, w)} for one pair (B = 1)."""
        if x_l.shape[0] != 1:
            raise ValueError(f"compress codes one pair at a time; got batch size {x_l.shape[0]}")
        exact, stream = self._exact(), BufferedRansEncoder()
        code = partial(self._code, exact, stream)
        with _exact_math():
            y_l, y_r = self.g_a(self._pad(x_l), self._pad(x_r))
            z_l, z_r = self.h_a(y_l, y_r)
            z_l_hat = code("z_l", z_l, *exact.z_left(p_l.double()))
            z_r_hat = code("z_r", z_r, *exact.z_right(z_l_hat.double(), p_r.double()))
            (mu, b), phi_r = exact.y_left(z_l_hat.double(), z_r_hat.double())
            y_l_hat = code("y_l", y_l, mu, b)
            y_r_hat = code("y_r", y_r, *exact.y_right(y_l_hat.double(), phi_r))
        out = {"strings": [stream.flush()], "shape": tuple(z_l.shape[-2:])}
        if return_latents:
            out["latents"] = dict(zip(LATENTS, (z_l_hat, z_r_hat, y_l_hat, y_r_hat)))
        return out

    @torch.no_grad()
    def decompress(self, strings, shape, p_l, p_r, image_size, return_latents: bool = False) -> dict:
        """Returns {"x_hat": (x_l_hat, x_r_hat)}, each (1, 3, *image_size) in [0, 1]."""
        if len(strings) != 1:
            raise ValueError(f"expected one rANS stream (z_l, z_r, y_l, y_r), got {len(strings)}")
        exact, M = self._exact(), int(self.config["M"])
        device = next(self.parameters()).device
        z_shape = torch.Size((1, M, *shape))
        y_shape = torch.Size((1, M, 4 * shape[0], 4 * shape[1]))
        stream = RansDecoder()
        stream.set_stream(bytes(strings[0]))
        decode = partial(self._decode, exact, stream)
        with _exact_math():
            z_l_hat = decode("z_l", z_shape, *exact.z_left(p_l.double().to(device)))
            z_r_hat = decode("z_r", z_shape, *exact.z_right(z_l_hat.double(), p_r.double().to(device)))
            (mu, b), phi_r = exact.y_left(z_l_hat.double(), z_r_hat.double())
            y_l_hat = decode("y_l", y_shape, mu, b)
            y_r_hat = decode("y_r", y_shape, *exact.y_right(y_l_hat.double(), phi_r))
            x_l_hat, x_r_hat = self.synthesis()(y_l_hat, y_r_hat)
        size = tuple(image_size)
        out = {"x_hat": (self._crop(x_l_hat, size).clamp(0, 1), self._crop(x_r_hat, size).clamp(0, 1))}
        if return_latents:
            out["latents"] = dict(zip(LATENTS, (z_l_hat, z_r_hat, y_l_hat, y_r_hat)))
        return out

    def _code(self, exact: EntropyParameters, stream: BufferedRansEncoder, name: str, y, mu, b) -> torch.Tensor:
        """Appends latent ``name`` to ``stream`` (a two-pass latent: anchors, then the rest); returns it dequantised."""
        if not exact.two_pass(name):
            return self.laplace.code(y, mu, b, stream)
        mu, b = mu.expand(y.shape), b.expand(y.shape)
        anchors = anchor_mask(mu).bool()
        first = self.laplace.code(y, mu, b, stream, anchors)
        mu, b = exact.second_pass(name, first.double(), mu, b)
        return first + self.laplace.code(y, mu, b, stream, ~anchors)

    def _decode(self, exact: EntropyParameters, stream: RansDecoder, name: str, shape, mu, b) -> torch.Tensor:
        """Returns latent ``name`` of ``shape`` from ``stream``, the inverse of ``_code``."""
        if not exact.two_pass(name):
            return self.laplace.decode(stream, mu, b, shape)
        mu, b = mu.expand(shape), b.expand(shape)
        anchors = anchor_mask(mu).bool()
        first = self.laplace.decode(stream, mu, b, shape, anchors)
        mu, b = exact.second_pass(name, first.double(), mu, b)
        return first + self.laplace.decode(stream, mu, b, shape, ~anchors)

    def latent_shape(self, image_size) -> tuple[int, int]:
        """Returns z's (h, w) for images of ``image_size`` (h, w): the padded size over the stride."""
        return tuple(-(-int(n) // self.stride) for n in image_size)

    def _exact(self) -> EntropyParameters:
        """Returns a float64 copy of the entropy-parameter networks (rebuilt when weights may change)."""
        return self._derive("exact", None, lambda: copy.deepcopy(self.entropy_parameters).double().eval())

    def synthesis(self) -> Synthesis:
        """Returns the decoder's path for g_s on this device (``synthesis_path``; rebuilt when weights may change)."""
        path = resolve_path(self.synthesis_path)
        return self._derive("synthesis", path, lambda: Synthesis(self.g_s, path))

    def _derive(self, name: str, key, build):
        """Returns the cached copy ``name`` for this device and ``key``, building it with ``build()`` if stale."""
        tag = (next(self.parameters()).device, key)
        if name not in self._derived or self._derived[name][0] != tag:
            self._derived[name] = (tag, build())
        return self._derived[name][1]

    def train(self, mode: bool = True):
        self._derived.clear()
        return super().train(mode)

    def load_state_dict(self, *args, **kwargs):
        self._derived.clear()
        return super().load_state_dict(*args, **kwargs)

    # ---- padding -----------------------------------------------------------------------------
    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = -h % self.stride, -w % self.stride
        return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x

    @staticmethod
    def _crop(x: torch.Tensor, size) -> torch.Tensor:
        return x[..., : size[0], : size[1]]


@contextlib.contextmanager
def _exact_math():
    """Switches TF32 off on CUDA so float32/float64 convolutions run at full precision."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved

