"""DVR transfer functions built from a manifest's render.dvr section."""

import numpy as np
import pytest

from render.basics.errors import FCNRError
from render.transfer import color_points, opacity_points, peak_opacity, scalar_range


def test_named_colormap_spans_the_scalar_range():
    dvr = {"colormap": "viridis", "scalar_range": [2.0, 4.0], "opacity": [[0, 0], [1, 1]]}
    points = color_points(dvr)
    assert points.shape == (256, 4)
    assert points[0, 0] == 2.0 and points[-1, 0] == 4.0
    np.testing.assert_allclose(points[0, 1:], [0.267004, 0.004874, 0.329415], atol=1e-5)


def test_scalar_range_defaults_to_the_opacity_points():
    assert scalar_range({"colormap": "gray", "opacity": [[1.0, 0.0], [3.0, 0.5]]}) == (1.0, 3.0)


def test_explicit_colour_points_are_kept():
    cmap = [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
    points = color_points({"colormap": cmap, "opacity": [[0, 0], [1, 1]]})
    np.testing.assert_array_equal(points, cmap)


def test_bad_transfer_functions_name_the_key():
    with pytest.raises(FCNRError, match="m.yaml: render.dvr.colormap: unknown colour map 'nope'"):
        color_points({"colormap": "nope", "opacity": [[0, 0], [1, 1]]}, "m.yaml")
    with pytest.raises(FCNRError, match="render.dvr.opacity: values must increase"):
        opacity_points({"opacity": [[1, 0], [0, 1]]})
    with pytest.raises(FCNRError, match="opacities must lie in"):
        opacity_points({"opacity": [[0, 0], [1, 2]]})
    with pytest.raises(FCNRError, match="scalar_range"):
        scalar_range({"scalar_range": [1, 1], "opacity": [[0, 0], [1, 1]]})


def test_peak_opacity_over_a_value_range():
    dvr = {"opacity": [[0.0, 0.0], [1.0, 0.2], [2.0, 0.0]]}
    assert peak_opacity(dvr, -1.0, 3.0) == pytest.approx(0.2)
    assert peak_opacity(dvr, 0.0, 0.5) == pytest.approx(0.1)
    assert peak_opacity(dvr, 2.5, 3.0) == 0.0
