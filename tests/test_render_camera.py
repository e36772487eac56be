"""Camera placement: framing from every view and a well-defined, continuous up vector."""

import itertools
import math

import numpy as np
import pytest

from render.camera import camera_pose, direction, up_vector
from render.views import icosphere_views


def test_whole_box_inside_the_view_cone_from_every_view():
    shape = np.array([300, 180, 120])  # the most elongated dataset
    upper = shape - 1.0
    centre, radius = upper / 2, float(np.linalg.norm(upper)) / 2
    corners = np.array(list(itertools.product(*[(0.0, u) for u in upper])))
    for view in icosphere_views(9):
        pose = camera_pose(view["theta"], view["phi"], centre, radius, 30.0)
        axis = np.subtract(pose.focal_point, pose.position)
        axis /= np.linalg.norm(axis)
        rays = corners - pose.position
        cos = rays @ axis / np.linalg.norm(rays, axis=1)
        # The cone of half-angle 15 degrees lies inside the square frustum.
        assert np.all(cos >= math.cos(math.radians(15.0)) - 1e-12)
        near, far = pose.clipping_range
        depth = rays @ axis
        assert np.all((depth > near) & (depth < far))


def test_camera_looks_along_the_view_direction():
    pose = camera_pose(1.0, 2.0, np.array([1.0, 2.0, 3.0]), 5.0, 30.0)
    offset = np.subtract(pose.position, pose.focal_point)
    np.testing.assert_allclose(offset / np.linalg.norm(offset), direction(1.0, 2.0), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(offset), 5.0 / math.sin(math.radians(15.0)))


@pytest.mark.parametrize("theta", [0.0, 1e-9, 0.3, math.pi / 2, 2.5, math.pi - 1e-9, math.pi])
@pytest.mark.parametrize("phi", [0.0, 1.0, 4.0])
def test_up_vector_is_unit_orthogonal_and_points_to_plus_z(theta, phi):
    up, d = up_vector(theta, phi), direction(theta, phi)
    assert abs(np.linalg.norm(up) - 1.0) < 1e-12
    assert abs(up @ d) < 1e-12
    projected = np.array([0.0, 0.0, 1.0]) - d[2] * d
    if np.linalg.norm(projected) > 1e-6:  # away from the poles: +z projected onto the image plane
        np.testing.assert_allclose(up, projected / np.linalg.norm(projected), atol=1e-9)


def test_up_vector_has_no_flips_between_neighbouring_views():
    views = icosphere_views(9)
    pts = np.column_stack([views["x"], views["y"], views["z"]])
    ups = np.array([up_vector(t, p) for t, p in zip(views["theta"], views["phi"])])
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    spacing = np.sort(dist, axis=1)[:, 1].max()
    # Outside the polar caps the up vector turns by about the angle between neighbours.
    cap = np.sin(views["theta"]) > 0.3
    for i in np.flatnonzero(cap):
        for j in np.flatnonzero((dist[i] < 1.5 * spacing) & cap):
            turn = math.degrees(math.acos(np.clip(ups[i] @ ups[j], -1, 1)))
            assert turn < 35.0, (i, j, turn)
