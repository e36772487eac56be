"""Icosphere views: count, geometry, ordering, pairs and the CSV written by `fcnr views`."""

import numpy as np
import pytest

from fcnr.cli import main
from render.basics.errors import FCNRError
from render.views import (
    COLUMNS,
    icosphere_points,
    icosphere_views,
    read_views,
    sort_order,
    view_pairs,
    write_views,
)


def xyz(views):
    return np.column_stack([views["x"], views["y"], views["z"]])


def nearest_distances(points):
    d = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1)


@pytest.mark.parametrize("f", range(1, 10))
def test_count_unit_length_unique_and_uniform(f):
    views = icosphere_views(f)
    assert len(views) == 10 * f * f + 2
    points = xyz(views)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-12)
    gaps = nearest_distances(points)
    # The closest two views are far apart compared with float noise: no duplicates.
    assert gaps.min() > 0.5 * 1.1 / f
    # Uniform coverage: the largest nearest-neighbour gap is within a small factor of the smallest.
    assert gaps.max() / gaps.min() < 1.5


def test_paper_frequency_gives_812():
    assert len(icosphere_views(9)) == 812


@pytest.mark.parametrize("f", [1, 2, 9])
def test_angles_match_coordinates_and_ranges(f):
    views = icosphere_views(f)
    assert np.all((views["theta"] >= 0) & (views["theta"] <= np.pi))
    assert np.all((views["phi"] >= 0) & (views["phi"] < 2 * np.pi))
    s = np.sin(views["theta"])
    rebuilt = np.column_stack(
        [s * np.cos(views["phi"]), s * np.sin(views["phi"]), np.cos(views["theta"])]
    )
    np.testing.assert_allclose(rebuilt, xyz(views), atol=1e-12)
    np.testing.assert_array_equal(views["index"], np.arange(len(views)))


@pytest.mark.parametrize("f", [2, 5, 9])
def test_sorted_by_theta_then_phi(f):
    views = icosphere_views(f)
    theta, phi = views["theta"], views["phi"]
    dt = np.diff(theta)
    assert np.all(dt > -1e-9)
    ties = np.abs(dt) <= 1e-9
    assert ties.any(), "the icosphere's symmetry gives views with equal theta"
    assert np.all(np.diff(phi)[ties] > 0)


def test_order_is_stable_under_last_bit_noise():
    views = icosphere_views(9)
    rng = np.random.default_rng(0)
    noisy_theta = views["theta"] + rng.uniform(-1e-13, 1e-13, len(views))
    noisy_phi = views["phi"] + rng.uniform(-1e-13, 1e-13, len(views))
    np.testing.assert_array_equal(sort_order(noisy_theta, noisy_phi), np.arange(len(views)))


def test_points_are_independent_of_sorting():
    # The sorted views are a permutation of the constructed points.
    raw = icosphere_points(4)
    views = icosphere_views(4)
    key = lambda p: sorted(map(tuple, np.round(p, 9)))  # noqa: E731
    assert key(raw) == key(xyz(views))


def test_pairs_are_consecutive_rows():
    views = icosphere_views(2)
    pairs = view_pairs(views)
    assert len(pairs) == 21
    assert pairs[0] == (0, 1) and pairs[-1] == (40, 41)
    with pytest.raises(FCNRError, match="even"):
        view_pairs(views[:3])


@pytest.mark.parametrize("f", [1, 3, 9])
def test_both_views_of_every_pair_share_theta_for_odd_frequency(f):
    theta = icosphere_views(f)["theta"]
    np.testing.assert_allclose(theta[0::2], theta[1::2], atol=1e-9)


def test_invalid_frequency():
    with pytest.raises(FCNRError, match="frequency"):
        icosphere_views(0)


def test_cli_writes_csv_that_round_trips(tmp_path, capsys):
    out = tmp_path / "views.csv"
    assert main(["views", "--frequency", "3", "--out", str(out)]) == 0
    assert "92 views" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == 93
    back = read_views(out)
    expected = icosphere_views(3)
    for name in COLUMNS:
        np.testing.assert_array_equal(back[name], expected[name])  # exact: floats are repr'd


def test_read_views_errors(tmp_path):
    with pytest.raises(FCNRError, match="missing.csv"):
        read_views(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(FCNRError, match="expected header index,theta,phi,x,y,z"):
        read_views(bad)
    short = tmp_path / "short.csv"
    short.write_text(",".join(COLUMNS) + "\n0,0.1,0.2\n")
    with pytest.raises(FCNRError, match="line 2"):
        read_views(short)
    dup = tmp_path / "dup.csv"
    write_views(icosphere_views(1)[[0, 0]], dup)
    with pytest.raises(FCNRError, match="not unique"):
        read_views(dup)
