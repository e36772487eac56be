"""The tangaroa source: lattice-Boltzmann flow past a ship-like body, at a small lattice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from render.volumes import volume_source
from render.volumes.tangaroa import DEFAULTS, ship_mask

SHAPE = (60, 36, 24)


def manifest(seed=3, **params):
    return {"name": "tangaroa", "shape": [300, 180, 120], "total_timesteps": 150,
            "scalar": "velocity magnitude", "timesteps": {"start": 60, "count": 30},
            "source": {"kind": "tangaroa", "seed": seed,
                       "params": {"lattice_scale": 1.0, "tau": 0.505, **params}}}


@pytest.fixture(scope="module")
def late_frames():
    """Returns timesteps 24..26 at the test lattice (the lattice equals the volume grid)."""
    return dict(volume_source(manifest(), SHAPE, [24, 25, 26]))


def test_body_is_still_and_the_flow_is_finite(late_frames):
    solid = ship_mask(SHAPE, DEFAULTS["yaw_deg"])
    for vol in late_frames.values():
        assert vol.dtype == np.float32 and np.isfinite(vol).all()
        assert (vol[solid] == 0).all()
        assert 0.5 < float(np.median(vol[~solid])) < 1.5  # |u| / u_in around the free stream


def test_wake_is_unsteady(late_frames):
    """Successive timesteps differ in the wake far more than upstream of the body."""
    x = SHAPE[0]
    for a, b in ((24, 25), (25, 26)):
        change = np.abs(late_frames[b] - late_frames[a])
        wake = change[int(0.6 * x):int(0.95 * x)].mean()
        upstream = change[2:int(0.1 * x)].mean()
        assert wake > 5e-3 and wake > 2 * upstream, (a, b, wake, upstream)


def test_same_seed_same_bytes():
    runs = [[v.tobytes() for _, v in volume_source(manifest(seed), SHAPE, [2])] for seed in (3, 3, 4)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_coarse_lattice_is_resampled_to_the_shape():
    threads = torch.get_num_threads()
    (t, vol), = volume_source(manifest(lattice_scale=0.5), SHAPE, [1])
    assert vol.shape == SHAPE and vol.dtype == np.float32 and vol.max() > 0.5
    assert torch.get_num_threads() == threads  # the small-lattice thread setting is restored
