"""Laplacian entropy model of FCNR, built on CompressAI's conditional entropy model and rANS coder.

Every latent of FCNR (z_l, z_r, y_l, y_r) is coded with a Laplace(mu, b) per element (paper,
"Decoding modules and entropy model"); z_l's parameters are channel-wise, the others per element.

Reproducible decoding: the encoder and the decoder compute (mu, b) with the same networks, but
floating-point results can differ in the last bits between thread counts or devices. Two choices
make the values that select a CDF agree anyway:

* means are snapped to a grid of ``1 / MEAN_GRID`` (also during training, straight-through), so a
  latent is ``y_hat = round(y - mu_q) + mu_q``, an exact float32 value on both sides;
* a scale selects one of the log-spaced ``scale_table`` entries by ``ceil(log(b / b_min) / step)``.

The model computes both in float64 (see ``FCNRModel.update``), so a disagreement needs a value
within about 1e-13 of a grid or bin boundary. A record-level CRC of the decoded latents
(``fcnr.codec.model.latents_crc``) turns that rare case into an error instead of a wrong image.
"""

from __future__ import annotations

import math

import torch
from compressai.ans import BufferedRansEncoder, RansDecoder
from compressai.entropy_models import GaussianConditional

MEAN_GRID = 16
SCALE_MIN, SCALE_MAX, SCALE_LEVELS = 0.11, 64.0, 64


def quantize_means(mu: torch.Tensor) -> torch.Tensor:
    """Returns ``mu`` snapped to the 1/MEAN_GRID grid (gradient passes straight through)."""
    # snapped + (mu - mu) keeps the value exactly on the grid while the gradient flows to mu.
    return torch.round(mu * MEAN_GRID) / MEAN_GRID + (mu - mu.detach())


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Returns round(x) with the identity gradient (straight-through estimator)."""
    return torch.round(x) + (x - x.detach())


def scale_table(low: float = SCALE_MIN, high: float = SCALE_MAX, levels: int = SCALE_LEVELS) -> list[float]:
    """Returns the log-spaced Laplace scales whose CDFs the coder tabulates."""
    step = math.log(high / low) / (levels - 1)
    return [low * math.exp(i * step) for i in range(levels)]


class LaplaceConditional(GaussianConditional):
    """Conditional Laplace(mu, b) entropy model: ``forward`` gives likelihoods, ``compress`` bytes.

    CompressAI's Gaussian conditional with the Laplace CDF, its quantile for the tail bound, and
    CDF indexes computed in the log domain from float64 scales (see module docstring).
    """

    def __init__(self, low: float = SCALE_MIN, high: float = SCALE_MAX, levels: int = SCALE_LEVELS, **kwargs):
        super().__init__(scale_table(low, high, levels), scale_bound=low, **kwargs)
        self.log_low = math.log(low)
        self.log_step = math.log(high / low) / (levels - 1)
        self._table_lists: tuple | None = None  # (buffer versions, the tables as lists)

    def _standardized_cumulative(self, inputs: torch.Tensor) -> torch.Tensor:
        # 0.5 exp(-|x|) keeps full relative precision in the lower tail (where _likelihood
        # evaluates it) and, unlike exp(x), never overflows, so where() gets no inf gradients.
        tail = 0.5 * torch.exp(-inputs.abs())
        return torch.where(inputs < 0, tail, 1 - tail)

    @staticmethod
    def _standardized_quantile(quantile: float) -> float:
        return math.log(2 * quantile) if quantile < 0.5 else -math.log(2 * (1 - quantile))

    def build_indexes(self, scales: torch.Tensor) -> torch.Tensor:
        """Returns the int32 scale-table index of each scale: the first entry not below it."""
        log_scales = torch.log(scales.double().clamp_min(math.exp(self.log_low)))
        index = torch.ceil((log_scales - self.log_low) / self.log_step - 1e-9)
        return index.clamp(0, len(self.scale_table) - 1).int()

    def rate_forward(
        self, y: torch.Tensor, mu: torch.Tensor, b: torch.Tensor, training: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (y_hat for the decoder, likelihoods for the rate) of Eqs. (3)-(4).

        Training: additive uniform noise for the rate, straight-through rounding for the decoder.
        Evaluation: both use the rounded value, exactly as ``compress`` codes it.
        """
        mu_q = quantize_means(mu)
        y_hat = self.dequantize_forward(y, mu_q)
        y_rate = self.quantize(y, "noise") if training else y_hat
        likelihood = self._likelihood(y_rate, b, mu_q)
        if self.use_likelihood_bound:
            likelihood = self.likelihood_lower_bound(likelihood)
        return y_hat, likelihood

    @staticmethod
    def dequantize_forward(y: torch.Tensor, mu_q: torch.Tensor) -> torch.Tensor:
        """Returns ``round(y - mu_q) + mu_q`` (means on the grid) with the straight-through gradient."""
        return round_ste(y - mu_q) + mu_q

    def code(
        self, y: torch.Tensor, mu: torch.Tensor, b: torch.Tensor, stream: BufferedRansEncoder,
        where: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Appends one latent (batch of one) to ``stream``; returns the exact dequantised latent.

        ``where`` (bool, ``y``'s shape): code only those elements, in row-major order; the returned
        latent is 0 elsewhere.
        """
        mu_q, indexes = self.coding_parameters(mu, b, y.shape)
        symbols = torch.round(y.double() - mu_q)
        chosen = (lambda x: x.reshape(-1)) if where is None else (lambda x: x[where])
        stream.encode_with_indexes(chosen(symbols).int().tolist(), chosen(indexes).tolist(), *self._tables())
        values = symbols + mu_q
        return (values if where is None else torch.where(where, values, 0.0)).float()

    def decode(
        self, stream: RansDecoder, mu: torch.Tensor, b: torch.Tensor, shape: torch.Size,
        where: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Returns the next latent of ``stream`` (inverse of ``code``, ``where`` as there), dequantised."""
        mu_q, indexes = self.coding_parameters(mu, b, shape)
        chosen = indexes.reshape(-1) if where is None else indexes[where]
        values = stream.decode_stream(chosen.tolist(), *self._tables())
        decoded = torch.tensor(values, dtype=torch.float64, device=mu_q.device)
        if where is None:
            return (decoded.reshape(shape) + mu_q).float()
        symbols = torch.zeros(shape, dtype=torch.float64, device=mu_q.device).masked_scatter(where, decoded)
        return torch.where(where, symbols + mu_q, 0.0).float()

    def _tables(self) -> tuple[list, list, list]:
        """Returns the coder's CDF tables, CDF lengths and offsets as the rANS coder takes them.

        Converted to lists once per version of the tables (``update`` and loading weights change
        the buffers, and with them their version), not once per latent; the bytes coded do not change.
        """
        self._check_cdf_size()
        key = tuple((t.data_ptr(), t._version) for t in (self.quantized_cdf, self.cdf_length, self.offset))
        if self._table_lists is None or self._table_lists[0] != key:
            lengths = self.cdf_length.reshape(-1).int().tolist()
            # Each row cut to its length: the coder reads no further, and converting the padding
            # on every call cost six times the table itself.
            cdfs = [row[:n] for row, n in zip(self.quantized_cdf.tolist(), lengths)]
            lists = (cdfs, lengths, self.offset.reshape(-1).int().tolist())
            self._table_lists = (key, lists)
        return self._table_lists[1]

    def coding_parameters(self, mu: torch.Tensor, b: torch.Tensor, shape) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (float64 means on the grid, int32 CDF indexes), broadcast to ``shape``."""
        mu_q = (torch.round(mu.double() * MEAN_GRID) / MEAN_GRID).expand(shape)
        return mu_q, self.build_indexes(b.expand(shape))
