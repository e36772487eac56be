"""Bjontegaard delta metrics: the average gap between two rate-distortion curves.

BD-rate (G. Bjontegaard, "Calculation of average PSNR differences between RD-curves", VCEG-M33,
2001) interpolates log(rate) as a function of quality for both curves, integrates both over the
quality interval they share and turns the mean log-rate difference into a percentage: the extra
rate (positive) or the saving (negative) of the test codec at equal quality. BD-PSNR swaps the
axes and gives the mean quality difference at equal rate.

The interpolation and integration are the ``bjontegaard`` package's (FAU-LMS, Herglotz et al.);
this module checks the curves first, so that an unusable curve is a ValueError that says why
(never a NaN or a warning), and sorts the points as the package expects. Two interpolations:

- ``"pchip"`` (default): piecewise cubic Hermite interpolation, as in the JCT-VC / JVET common
  test conditions spreadsheets (JCTVC-L1100); it follows the points, works from two points on,
  and does not overshoot where a cubic fit would.
- ``"cubic"``: the original VCEG-M33 least-squares cubic polynomial; needs at least four points.
"""

from __future__ import annotations

from collections.abc import Sequence

import bjontegaard
import numpy as np

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
    anchor, test = _checked(rate_anchor, quality_anchor, rate_test, quality_test, method, by="quality")
    return float(bjontegaard.bd_rate(*anchor, *test, method, require_matching_points=False, min_overlap=0))


def bd_psnr(
    rate_anchor: Sequence[float],
    quality_anchor: Sequence[float],
    rate_test: Sequence[float],
    quality_test: Sequence[float],
    method: str = "pchip",
) -> float:
    """Returns the test curve's mean quality gain over the anchor at equal rate (dB for PSNR)."""
    anchor, test = _checked(rate_anchor, quality_anchor, rate_test, quality_test, method, by="rate")
    return float(bjontegaard.bd_psnr(*anchor, *test, method, require_matching_points=False, min_overlap=0))


def _checked(rate_a, quality_a, rate_t, quality_t, method: str, by: str):
    """Returns both curves as (rates, qualities), sorted along the axis ``by`` that is interpolated over."""
    if method not in METHODS:
        raise ValueError(f"unknown BD interpolation {method!r}; use one of {', '.join(METHODS)}")
    curves = [_curve(rate_a, quality_a, method, "anchor"), _curve(rate_t, quality_t, method, "test")]
    axis = 1 if by == "quality" else 0
    sorted_curves = []
    for label, (rate, quality) in zip(("anchor", "test"), curves):
        order = np.argsort((rate, quality)[axis], kind="stable")
        x = (rate, quality)[axis][order]
        if np.any(np.diff(x) == 0):
            raise ValueError(f"{label} curve: two points share the same {by} {x[np.argmin(np.diff(x))]:.6g}")
        sorted_curves.append((rate[order], quality[order]))
    for label, (rate, quality) in zip(("anchor", "test"), curves):
        _require_monotone(rate, quality, label)
    (x_a, x_t) = (c[axis] for c in sorted_curves)
    if not min(x_a[-1], x_t[-1]) > max(x_a[0], x_t[0]):
        raise ValueError(
            f"the curves do not overlap in {by}: anchor spans [{x_a[0]:.4g}, {x_a[-1]:.4g}], "
            f"test spans [{x_t[0]:.4g}, {x_t[-1]:.4g}]"
        )
    return sorted_curves


def _curve(rate, quality, method: str, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Returns (rates, qualities) as float arrays, checked to be finite, positive in rate and numerous enough."""
    rate = np.asarray(rate, dtype=np.float64)
    quality = np.asarray(quality, dtype=np.float64)
    if rate.shape != quality.shape or rate.ndim != 1:
        raise ValueError(f"{label} curve: rates and qualities differ in length ({rate.size} vs {quality.size})")
    needed = 4 if method == "cubic" else 2
    if rate.size < needed:
        raise ValueError(f"{label} curve: {method} BD needs at least {needed} points, got {rate.size}")
    if not (np.all(np.isfinite(rate)) and np.all(np.isfinite(quality))):
        raise ValueError(f"{label} curve: values must be finite")
    if np.any(rate <= 0):
        raise ValueError(f"{label} curve: rates must be positive, got {rate.tolist()}")
    return rate, quality


def _require_monotone(rate: np.ndarray, quality: np.ndarray, label: str) -> None:
    """Raises ValueError unless quality rises with rate (a curve that falls has no single rate per quality)."""
    order = np.argsort(rate, kind="stable")
    rate, quality = rate[order], quality[order]
    falls = np.flatnonzero(np.diff(quality) <= 0)
    if falls.size:
        i = falls[0]
        raise ValueError(f"{label} curve is not monotone: quality {quality[i]:.6g} at rate {rate[i]:.6g} "
                         f"but {quality[i + 1]:.6g} at rate {rate[i + 1]:.6g}")  # fmt: skip
