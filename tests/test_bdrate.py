"""Bjontegaard delta rate and PSNR (the bjontegaard package) against published values and the former code."""

from __future__ import annotations

import numpy as np
import pytest

from fcnr.evaluation.bdrate import bd_psnr, bd_rate

# JCT-VC common-test-condition data (rate kbit/s, PSNR dB), anchor then test, with the BD-rates the
# JCT-VC spreadsheet method (piecewise cubic Hermite) gives. Source: Netflix/vmaf,
# python/test/bd_rate_calculator_test.py, class BDrateCalculatorJCTVCTest (expected values there
# are fractions: -0.00465215420752807 and -0.018779823450567612).
JCTVC_CASES = [
    (
        [(108048.8736, 43.6471), (61279.976, 40.3953), (33905.6656, 37.247), (18883.6928, 34.2911)],
        [(108061.2784, 43.6768), (61299.9936, 40.4232), (33928.7472, 37.2761), (18910.912, 34.3147)],
        -0.465215420752807,
    ),
    (
        [(40433.8848, 37.5761), (7622.7456, 35.3756), (2394.488, 33.8977), (1017.6184, 32.0603)],
        [(40370.12, 37.5982), (7587.0024, 35.4025), (2390.0944, 33.9194), (1017.0984, 32.0822)],
        -1.8779823450567612,
    ),
]

# x264 (test) against x265 (anchor) on one sequence, rates in Mbit/s, and the VCEG-M33 cubic BD-rate
# published with it: -12.098 %. Source: https://videonerd.website/how-compute-bd-rate/ (computed there
# with the VCEG-M33 Python port Anserw/Bjontegaard_metric).
X265 = ([8.914, 13.330, 17.880, 22.990], [37.02, 38.37, 39.42, 40.35])
X264 = ([9.525, 14.27, 19.113, 24.393], [37.73, 39.07, 40.07, 40.95])

# Four-point example curves shipped with the FAU-LMS/bjontegaard package (README, "Test 1").
FAU_ANCHOR = ([9487.76, 4593.60, 2486.44, 1358.24], [40.037, 38.615, 36.845, 34.851])
FAU_TEST = ([9787.80, 4469.00, 2451.52, 1356.24], [40.121, 38.651, 36.970, 34.987])


@pytest.mark.parametrize(("anchor", "test", "expected"), JCTVC_CASES)
def test_pchip_matches_jctvc_reference(anchor, test, expected):
    (ra, qa), (rt, qt) = zip(*anchor), zip(*test)
    assert bd_rate(ra, qa, rt, qt) == pytest.approx(expected, abs=1e-6)


# What this project's own implementation (scipy's PchipInterpolator / numpy's polyfit, before the
# bjontegaard package replaced it) gave on the same curves: (method, bd_rate, bd_psnr) for
# FAU_ANCHOR -> FAU_TEST and X265 -> X264. FAU's README lists -4.4175 % for pchip on "Test 1".
FORMER = [
    ("pchip", (-4.417485350589045, 0.11969278542479489), (-12.073543180888413, 0.44739524912190404)),
    ("cubic", (-4.420462706026296, 0.12040941911471303), (-12.09817666101859, 0.44879579381804835)),
]


@pytest.mark.parametrize(("method", "fau", "x26x"), FORMER)
def test_agrees_with_the_former_implementation(method, fau, x26x):
    assert (bd_rate(*FAU_ANCHOR, *FAU_TEST, method), bd_psnr(*FAU_ANCHOR, *FAU_TEST, method)) == pytest.approx(fau)
    assert (bd_rate(*X265, *X264, method), bd_psnr(*X265, *X264, method)) == pytest.approx(x26x)


def test_cubic_matches_vceg_m33_published_example():
    assert bd_rate(*X265, *X264, method="cubic") == pytest.approx(-12.098, abs=5e-4)


@pytest.mark.parametrize("method", ["pchip", "cubic"])
def test_rate_scaled_curve_gives_the_scale(method):
    rate, psnr = FAU_ANCHOR
    assert bd_rate(rate, psnr, np.multiply(rate, 1.25), psnr, method) == pytest.approx(25.0, abs=1e-9)
    assert bd_rate(rate, psnr, np.multiply(rate, 0.5), psnr, method) == pytest.approx(-50.0, abs=1e-9)
    assert bd_psnr(rate, psnr, rate, np.add(psnr, 0.5), method) == pytest.approx(0.5, abs=1e-9)


@pytest.mark.parametrize("method", ["pchip", "cubic"])
def test_identical_curves_and_swapped_roles(method):
    assert bd_rate(*FAU_ANCHOR, *FAU_ANCHOR, method) == pytest.approx(0.0, abs=1e-12)
    forward = bd_rate(*FAU_ANCHOR, *FAU_TEST, method)
    backward = bd_rate(*FAU_TEST, *FAU_ANCHOR, method)
    # The test curve is above the anchor: it saves bits, and the swapped comparison costs bits.
    assert forward < 0 < backward
    assert bd_psnr(*FAU_ANCHOR, *FAU_TEST, method) > 0


def test_point_order_does_not_matter():
    rate, psnr = FAU_ANCHOR
    reverse = (rate[::-1], psnr[::-1])
    assert bd_rate(*reverse, *FAU_TEST) == pytest.approx(bd_rate(*FAU_ANCHOR, *FAU_TEST), abs=1e-12)


def test_pchip_works_with_three_points_cubic_does_not():
    rate, psnr = FAU_ANCHOR
    assert np.isfinite(bd_rate(rate[:3], psnr[:3], *FAU_TEST))
    with pytest.raises(ValueError, match="at least 4 points"):
        bd_rate(rate[:3], psnr[:3], *FAU_TEST, method="cubic")


@pytest.mark.parametrize(
    ("anchor", "test", "message"),
    [
        (FAU_ANCHOR, (FAU_TEST[0], np.add(FAU_TEST[1], 20)), "do not overlap"),
        (([1, 2, 3], [30, 30, 31]), FAU_TEST, "share the same quality 30"),
        (([0, 2, 3], [30, 31, 32]), FAU_TEST, "positive"),
        (([1, 2], [30, 31, 32]), FAU_TEST, "differ in length"),
        (([1, 2, 3], [30, float("nan"), 32]), FAU_TEST, "finite"),
        (FAU_ANCHOR, ([0.1, 0.2, 0.3], [33, 35, 34]), "test curve is not monotone: quality 35 at rate 0.2"),
    ],
)
def test_bad_curves_are_errors(anchor, test, message):
    with pytest.raises(ValueError, match=message):
        bd_rate(*anchor, *test)


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="pchip, cubic"):
        bd_rate(*FAU_ANCHOR, *FAU_TEST, method="akima")
