"""The vortex source: pseudo-spectral Navier-Stokes physics at a small grid."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.core.multiarray import _set_madvise_hugepage

from render.volumes import volume_source
from render.volumes.vortex import SpectralNS, _small_pages

N = 32


@pytest.fixture(scope="module")
def run():
    """Returns a 32^3 solver and the energies and divergences at 0, 0.1, ..., 0.6."""
    solver = SpectralNS(N, nu=0.012 * (128 / N) ** (4 / 3), seed=7)
    energy, div = [solver.energy()], [solver.max_divergence()]
    for _ in range(6):
        solver.advance(0.1)
        energy.append(solver.energy())
        div.append(solver.max_divergence())
    return solver, energy, div


def test_velocity_stays_divergence_free(run):
    _, _, div = run
    assert max(div) < 1e-5  # float32 round-off relative to the velocity gradients


def test_kinetic_energy_decays(run):
    _, energy, _ = run
    assert energy[0] == pytest.approx(1.5, rel=1e-3)  # u_rms = 1 in each component
    assert all(b < a for a, b in zip(energy, energy[1:]))
    assert energy[-1] < 0.8 * energy[0]


def test_spectrum_is_dealiased(run):
    solver, _, _ = run
    uhat = solver.uhat
    outside = (1 - solver.keep).astype(bool)
    assert np.abs(uhat[:, np.broadcast_to(outside, uhat.shape[1:])]).max() == 0


def vortex_manifest(seed):
    return {"name": "vortex", "source": {"kind": "vortex", "seed": seed, "params": {"frame_dt": 0.1}},
            "shape": [128, 128, 128], "total_timesteps": 90, "scalar": "vorticity magnitude",
            "timesteps": {"start": 2, "count": 2}}


def test_same_seed_same_bytes_other_seed_other_field():
    first = [v.tobytes() for _, v in volume_source(vortex_manifest(7), (N, N, N))]
    again = [v.tobytes() for _, v in volume_source(vortex_manifest(7), (N, N, N))]
    other = [v.tobytes() for _, v in volume_source(vortex_manifest(8), (N, N, N))]
    assert first == again and first[0] != other[0] and first[0] != first[1]


def test_non_cubic_shape_is_resampled():
    (t, vol), = volume_source(vortex_manifest(7), (24, 20, 16), [1])
    assert t == 1 and vol.shape == (24, 20, 16) and vol.dtype == np.float32
    assert vol.min() >= 0 and np.isfinite(vol).all()


def test_slab_kernels_give_the_whole_array_expressions_bit_for_bit(run):
    # The solver's results (and so the base model's training images) must not depend on the slabs.
    solver = run[0]
    u, keep, k2 = solver.uhat, solver.keep, solver.k2_safe
    kx, ky, kz = solver.k
    curl = 1j * np.stack([ky * u[2] - kz * u[1], kz * u[0] - kx * u[2], kx * u[1] - ky * u[0]])
    kept = u * keep
    div = (kx * kept[0] + ky * kept[1] + kz * kept[2]) / k2
    projected = np.stack([kept[0] - kx * div, kept[1] - ky * div, kept[2] - kz * div])
    assert solver.vorticity_hat().tobytes() == curl.tobytes()
    assert solver._dealias_project(u).tobytes() == projected.tobytes()


def test_huge_pages_are_off_while_stepping_and_restored_after():
    before = _set_madvise_hugepage(True)
    try:
        with _small_pages():
            assert _set_madvise_hugepage(False) is False
        assert _set_madvise_hugepage(True) is True
    finally:
        _set_madvise_hugepage(before)
