"""Camera placement for a view direction: position, focal point and a well-defined up vector."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CameraPose:
    """A perspective camera: where it is, what it looks at, which way is up, its view angle."""

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    up: tuple[float, float, float]
    view_angle: float  # degrees, vertical (the images are square)
    clipping_range: tuple[float, float]


def frame_distance(radius: float, view_angle: float) -> float:
    """Returns the camera distance at which a sphere of ``radius`` just fills the view cone.

    The volume's bounding sphere fits every view, so the framing (and the scale of the data
    in the image) is the same from all directions.
    """
    return radius / math.sin(math.radians(view_angle) / 2.0)


def direction(theta: float, phi: float) -> np.ndarray:
    """Returns the unit vector with polar angle ``theta`` (from +z), azimuth ``phi`` (from +x)."""
    s = math.sin(theta)
    return np.array([s * math.cos(phi), s * math.sin(phi), math.cos(theta)])


def up_vector(theta: float, phi: float) -> np.ndarray:
    """Returns the camera's up vector for the view (theta, phi): -e_theta, toward +z on the sphere.

    Away from the poles this is +z projected onto the image plane (the volume's z axis points up
    in every image, like a turntable). Written as -e_theta = (-cos t cos p, -cos t sin p, sin t)
    it stays a unit vector at the poles too, where it is the limit along the view's own phi, so
    no view needs a special case. Neighbouring views have nearby up vectors except across a
    pole, where any continuous rule must turn (a tangent field on the sphere has a zero).
    """
    ct, st = math.cos(theta), math.sin(theta)
    return np.array([-ct * math.cos(phi), -ct * math.sin(phi), st])


def camera_pose(
    theta: float,
    phi: float,
    centre: np.ndarray,
    radius: float,
    view_angle: float,
) -> CameraPose:
    """Returns the camera on the view direction that frames a bounding sphere (centre, radius)."""
    distance = frame_distance(radius, view_angle)
    centre = np.asarray(centre, dtype=np.float64)
    position = centre + distance * direction(theta, phi)
    # Near and far planes just outside the bounding sphere: fixed per view, so deterministic.
    near = max(distance - 1.01 * radius, 1e-3 * distance)
    far = distance + 1.01 * radius
    return CameraPose(
        position=tuple(map(float, position)),
        focal_point=tuple(map(float, centre)),
        up=tuple(map(float, up_vector(theta, phi))),
        view_angle=float(view_angle),
        clipping_range=(near, far),
    )
