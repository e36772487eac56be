"""Bjontegaard delta metrics: the average gap between two rate-distortion curves.

BD-rate (G. Bjontegaard, "Calculation of average PSNR differences between RD-curves", VCEG-M33,
2001) interpolates log(rate) as a function of quality for both curves, integrates both over the
quality interval they share and turns the mean log-rate difference into a percentage: the extra
rate (positive) or the saving (negative) of the test codec at equal quality. BD-PSNR swaps the
axes and gives the mean quality difference at equal rate.

Two interpolations:
- ``"pchip"`` (default): piecewise cubic Hermite interpolation, as in the JCT-VC / JVET common
  test conditions spreadsheets (JCTVC-L1100); it follows the points, works from two points on,
  and does not overshoot where a cubic fit would.
- ``"cubic"``: the original VCEG-M33 least-squares cubic polynomial; needs at least four points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.interpolate import PchipInterpolator

METHODS = ("pchip", "cubic")


def bd_rate(
    rate_anchor: Sequence[float],
    quality_anchor: Sequence[float],
    rate_test: Sequence[float],
    quality_test: Sequence[float],
    method: str = "pchip",
) -> float:
    """Returns the test curve's mean rate change against the anchor at equal quality, in percent.

    Negative means the test codec needs fewer bits for the same quality (e.g. PSNR in dB).
    Raises ValueError when a curve is unusable or the curves share no quality interval.
    """
    gap = _mean_gap(quality_anchor, _log_rate(rate_anchor), quality_test, _log_rate(rate_test), method)
    return float((10.0**gap - 1.0) * 100.0)


def bd_psnr(
    rate_anchor: Sequence[float],
    quality_anchor: Sequence[float],
    rate_test: Sequence[float],
    quality_test: Sequence[float],
    method: str = "pchip",
) -> float:
    """Returns the test curve's mean quality gain over the anchor at equal rate (dB for PSNR)."""
    return _mean_gap(_log_rate(rate_anchor), quality_anchor, _log_rate(rate_test), quality_test, method)


def _log_rate(rate: Sequence[float]) -> np.ndarray:
    """Returns log10 of the rates; a non-positive or non-finite rate is a ValueError."""
    rate = np.asarray(rate, dtype=np.float64)
    if not np.all(np.isfinite(rate)) or np.any(rate <= 0):
        raise ValueError(f"rates must be positive and finite, got {rate.tolist()}")
    return np.log10(rate)


def _mean_gap(x_a, y_a, x_b, y_b, method: str) -> float:
    """Returns the mean of curve b minus curve a (y as a function of x) over their shared x range."""
    if method not in METHODS:
        raise ValueError(f"unknown BD interpolation {method!r}; use one of {', '.join(METHODS)}")
    x_a, y_a = _curve(x_a, y_a, method, "anchor")
    x_b, y_b = _curve(x_b, y_b, method, "test")
    low, high = max(x_a[0], x_b[0]), min(x_a[-1], x_b[-1])
    if not high > low:
        raise ValueError(
            f"the curves do not overlap: anchor spans [{x_a[0]:.4g}, {x_a[-1]:.4g}], "
            f"test spans [{x_b[0]:.4g}, {x_b[-1]:.4g}]"
        )
    area_a = _integral(x_a, y_a, low, high, method)
    area_b = _integral(x_b, y_b, low, high, method)
    return float((area_b - area_a) / (high - low))


def _curve(x, y, method: str, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Returns the points sorted by x, checked to be finite, distinct in x and numerous enough."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"{label} curve: rates and qualities differ in length ({x.size} vs {y.size})")
    needed = 4 if method == "cubic" else 2
    if x.size < needed:
        raise ValueError(f"{label} curve: {method} BD needs at least {needed} points, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"{label} curve: values must be finite")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(x) == 0):
        raise ValueError(f"{label} curve: two points share the same value {x[np.argmin(np.diff(x))]:.6g}")
    return x, y


def _integral(x: np.ndarray, y: np.ndarray, low: float, high: float, method: str) -> float:
    """Returns the integral from ``low`` to ``high`` of the curve through (x, y)."""
    if method == "pchip":
        return float(PchipInterpolator(x, y).integrate(low, high))
    antiderivative = np.polyint(np.polyfit(x, y, 3))
    return float(np.polyval(antiderivative, high) - np.polyval(antiderivative, low))
