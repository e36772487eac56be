"""Stand-in for the turbulent vortex data: decaying homogeneous turbulence.

A pseudo-spectral solver of the incompressible Navier-Stokes equations in rotational form,
``du/dt = P[u x omega] - nu k^2 u`` (P: projection onto divergence-free fields), on the periodic
box [0, 2 pi)^3 with n^3 points. The nonlinear term is dealiased by the 2/3 rule; time stepping is
the three-stage strong-stability-preserving Runge-Kutta scheme with an integrating factor for the
viscous term (exact viscous decay), step size from a CFL number. The initial field is seeded
Gaussian noise, projected and shaped to the spectrum ``E(k) ~ k^4 exp(-2 (k / k0)^2)``, scaled to
``u_rms``. Timestep ``k`` is the state at time ``k * frame_dt``; the scalar is |curl u|.

``--shape``: the solver runs on a cubic grid of ``max(shape)`` points (viscosity scaled as
``nu * (n_ref / n)^(4/3)`` so the smallest eddies stay resolved) and is resampled trilinearly
when the shape is not cubic. Single precision (complex64 spectra), scipy.fft on 2 threads; the
elementwise work runs on the same 2 threads in slabs along y, each slab computing the same
operations in the same order as one whole-array expression (so the result is bitwise the same)
and writing straight into its part of the output. While it steps, numpy's transparent huge pages
are off: they cost the solver's many short-lived arrays more in page faults than they save.

Parameters (``source.params`` in the manifest; defaults below): ``nu``, ``n_ref``, ``k0``,
``u_rms``, ``frame_dt``, ``cfl``. ``source.seed`` seeds the initial field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.fft as sfft
from numpy.core.multiarray import _set_madvise_hugepage

from render.volumes import source_params
from render.volumes.resample import resample

DEFAULTS = {"nu": 0.012, "n_ref": 128, "k0": 4.0, "u_rms": 1.0, "frame_dt": 0.05, "cfl": 0.5}
WORKERS = 2


class SpectralNS:
    """Spectral velocity ``uhat`` [3, n, n, n//2+1] on the periodic box, advanced in time."""

    def __init__(self, n: int, nu: float, seed: int, k0: float = 4.0, u_rms: float = 1.0,
                 cfl: float = 0.5):
        self.n, self.nu, self.cfl, self.time = n, nu, cfl, 0.0
        k = (np.fft.fftfreq(n) * n).astype(np.float32)
        kz = (np.fft.rfftfreq(n) * n).astype(np.float32)
        self.k = (k[:, None, None], k[None, :, None], kz[None, None, :])
        self.k2 = self.k[0] ** 2 + self.k[1] ** 2 + self.k[2] ** 2
        self.k2_safe = np.where(self.k2 == 0, 1.0, self.k2).astype(np.float32)
        cut = n / 3.0  # 2/3 rule: keep |k_i| < n/3 on every axis
        self.keep = ((np.abs(self.k[0]) < cut) & (np.abs(self.k[1]) < cut)
                     & (np.abs(self.k[2]) < cut)).astype(np.float32)
        bounds = np.linspace(0, n, WORKERS + 1).astype(int)
        self.slabs = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        self.pool = ThreadPoolExecutor(WORKERS)
        self.uhat = self._initial(seed, k0, u_rms)

    def _slabwise(self, kernel: Callable[..., None], *arrays: np.ndarray) -> np.ndarray:
        """Returns ``kernel(out, *arrays)``'s result, computed slab by slab along y (axis -2) on the
        worker threads; ``out`` has the first array's shape and dtype.

        Arrays of one point along y (the broadcast wavenumbers kx, kz) go to every slab whole.
        """
        out = np.empty_like(arrays[0])

        def part(s: slice) -> None:
            kernel(out[..., s, :], *(a[..., s, :] if a.shape[-2] > 1 else a for a in arrays))

        list(self.pool.map(part, self.slabs))
        return out

    def _initial(self, seed: int, k0: float, u_rms: float) -> np.ndarray:
        """Returns a seeded divergence-free spectrum with E(k) ~ k^4 exp(-2 (k/k0)^2)."""
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((3, self.n, self.n, self.n)).astype(np.float32)
        uhat = sfft.rfftn(noise, axes=(1, 2, 3), workers=WORKERS)
        kmag = np.sqrt(self.k2)
        # White noise has equal energy per mode and ~k^2 modes per shell: divide that out.
        amp = np.sqrt(kmag**4 * np.exp(-2.0 * (kmag / k0) ** 2) / self.k2_safe)
        uhat = self._project(uhat * (amp * self.keep)).astype(np.complex64)
        u = self._to_real(uhat)
        uhat *= np.float32(u_rms / math.sqrt(float((u * u).sum(axis=0).mean()) / 3.0))
        return uhat

    def _project(self, a: np.ndarray) -> np.ndarray:
        """Returns the divergence-free part of the spectral field ``a``."""
        return self._slabwise(_project, a, *self.k, self.k2_safe)

    def _dealias_project(self, a: np.ndarray) -> np.ndarray:
        """Returns the divergence-free part of ``a`` with the 2/3 rule's modes zeroed."""
        return self._slabwise(_dealias_project, a, self.keep, *self.k, self.k2_safe)

    def _to_real(self, ahat: np.ndarray) -> np.ndarray:
        return sfft.irfftn(ahat, s=(self.n,) * 3, axes=(1, 2, 3), workers=WORKERS)

    def vorticity_hat(self, uhat: np.ndarray | None = None) -> np.ndarray:
        """Returns the spectrum of curl u (i k x uhat)."""
        return self._slabwise(_curl, self.uhat if uhat is None else uhat, *self.k)

    def _rhs(self, uhat: np.ndarray, with_speed: bool = False) -> tuple[np.ndarray, float | None]:
        """Returns P[u x omega] (dealiased spectrum) and, if asked, the CFL speed max(|u|+|v|+|w|)."""
        u = self._to_real(uhat)
        w = self._to_real(self.vorticity_hat(uhat))
        cross = self._slabwise(_cross, u, w)
        nl = sfft.rfftn(cross, axes=(1, 2, 3), workers=WORKERS)
        speed = float(np.abs(u).sum(axis=0).max()) if with_speed else None
        return self._dealias_project(nl), speed

    def advance(self, duration: float) -> int:
        """Returns the number of steps taken to advance the state by ``duration``."""
        with _small_pages():
            return self._advance(duration)

    def _advance(self, duration: float) -> int:
        nl, speed = self._rhs(self.uhat, with_speed=True)
        dx = 2.0 * math.pi / self.n
        steps = max(1, math.ceil(duration / (self.cfl * dx / max(speed, 1e-12))))
        dt = duration / steps
        e_full = np.exp(-self.nu * self.k2 * dt).astype(np.float32)
        e_half = np.exp(-self.nu * self.k2 * dt / 2).astype(np.float32)
        for i in range(steps):
            u0 = self.uhat
            if i:
                nl, _ = self._rhs(u0)
            # SSP-RK3 with integrating factor exp(-nu k^2 t) (Shu-Osher form).
            u1 = self._slabwise(lambda out, u0, nl, e: np.multiply(e, u0 + dt * nl, out=out), u0, nl, e_full)
            n1, _ = self._rhs(u1)
            u2 = self._slabwise(lambda out, u0, u1, n1, e: np.add(0.75 * e * u0, 0.25 * (u1 + dt * n1) / e, out=out),
                                u0, u1, n1, e_half)  # fmt: skip
            n2, _ = self._rhs(u2)
            self.uhat = self._slabwise(
                lambda out, u0, u2, n2, e, eh: np.add(u0 * e / 3.0, (2.0 / 3.0) * eh * (u2 + dt * n2), out=out),
                u0, u2, n2, e_full, e_half,
            )
        self.time += duration
        return steps

    def velocity(self) -> np.ndarray:
        """Returns the velocity [3, n, n, n] in physical space (float32)."""
        return self._to_real(self.uhat)

    def vorticity_magnitude(self) -> np.ndarray:
        """Returns |curl u| on the grid, float32 [x, y, z]."""
        w = self._to_real(self.vorticity_hat())
        return np.sqrt((w * w).sum(axis=0)).astype(np.float32)

    def energy(self) -> float:
        """Returns the mean kinetic energy 0.5 <|u|^2>."""
        u = self.velocity()
        return 0.5 * float((u.astype(np.float64) ** 2).sum(axis=0).mean())

    def max_divergence(self) -> float:
        """Returns max |div u| on the grid relative to max |grad u| (round-off level when exact)."""
        kx, ky, kz = self.k
        u = self.uhat
        div = self._to_real((1j * (kx * u[0] + ky * u[1] + kz * u[2]))[None])[0]
        grad = self._to_real(1j * np.stack([kx * u[0], ky * u[1], kz * u[2]]))
        return float(np.abs(div).max() / np.abs(grad).max())


@contextmanager
def _small_pages() -> Iterator[None]:
    """Turns numpy's madvise(MADV_HUGEPAGE) off for the arrays allocated inside, then back as it was
    (what ``NUMPY_MADVISE_HUGEPAGE=0`` does for a whole process)."""
    previous = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(previous)


# Slab kernels: each writes its result into ``out`` (a slab of the output array).
def _curl(out: np.ndarray, u: np.ndarray, kx: np.ndarray, ky: np.ndarray, kz: np.ndarray) -> None:
    """i k x u of a spectral field."""
    np.subtract(ky * u[2], kz * u[1], out=out[0])
    np.subtract(kz * u[0], kx * u[2], out=out[1])
    np.subtract(kx * u[1], ky * u[0], out=out[2])
    np.multiply(1j, out, out=out)


def _cross(out: np.ndarray, u: np.ndarray, w: np.ndarray) -> None:
    """u x w of two physical fields."""
    np.subtract(u[1] * w[2], u[2] * w[1], out=out[0])
    np.subtract(u[2] * w[0], u[0] * w[2], out=out[1])
    np.subtract(u[0] * w[1], u[1] * w[0], out=out[2])


def _project(out: np.ndarray, a: np.ndarray, kx: np.ndarray, ky: np.ndarray, kz: np.ndarray, k2: np.ndarray) -> None:
    """a - k (k . a) / |k|^2 of a spectral field."""
    div = (kx * a[0] + ky * a[1] + kz * a[2]) / k2
    np.subtract(a[0], kx * div, out=out[0])
    np.subtract(a[1], ky * div, out=out[1])
    np.subtract(a[2], kz * div, out=out[2])


def _dealias_project(out: np.ndarray, a: np.ndarray, keep: np.ndarray, *k: np.ndarray) -> None:
    """The projection of ``a * keep`` (the 2/3 rule's mask)."""
    _project(out, np.multiply(a, keep), *k)


def solver_for(manifest: dict[str, Any], n: int) -> tuple[SpectralNS, float]:
    """Returns the solver for ``manifest`` on an n^3 grid and the time between saved frames."""
    p = source_params(manifest, DEFAULTS)
    nu = p["nu"] * (p["n_ref"] / n) ** (4.0 / 3.0)
    seed = manifest["source"].get("seed", 0)
    return SpectralNS(n, nu, seed, p["k0"], p["u_rms"], p["cfl"]), p["frame_dt"]


def frames(
    manifest: dict[str, Any], shape: tuple[int, int, int], timesteps: Iterable[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields ``(k, vorticity magnitude at time k * frame_dt)`` for the requested timesteps."""
    wanted = sorted(timesteps)
    solver, frame_dt = solver_for(manifest, max(shape))
    k = 0
    for t in wanted:
        while k < t:
            solver.advance(frame_dt)
            k += 1
        yield t, resample(solver.vorticity_magnitude(), shape)
