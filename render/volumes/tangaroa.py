"""Stand-in for the Tangaroa data: unsteady 3-D airflow past a ship-like bluff body.

Lattice Boltzmann, D3Q19, BGK collision, in torch (CUDA when present, else CPU), float32.
The box is a channel: x is the flow direction, y is periodic, z = 0 is the sea surface (a no-slip
wall; with periodic streaming in z it is also the lid above the top layer). Inflow at x = 0 is the
equilibrium at (u_in, 0, 0), outflow at the last x layer copies its neighbour. The body is a hull
(pointed bow, flat transom, above-water part only) with a deckhouse forward of midships, yawed
to the wind by ``yaw_deg`` so that it sheds an asymmetric, unsteady wake. Solid nodes use
full-way bounce-back. A seeded perturbation of the initial velocity breaks the remaining symmetry.
The wind gusts: the inflow's cross-wind and along-wind components vary as sines of amplitude
``gust * u_in`` (cross) and half that (along) with periods ``gust_frames`` (in saved timesteps) and
seeded phases. On small lattices (low Reynolds numbers) the wake of the wall-mounted body alone
becomes nearly steady; the gusts keep it unsteady at every resolution, as sea wind does. With
the defaults (tau 0.51, nu = 0.0033, u_in 0.1) the Reynolds number on the 60-node hull length of
the default lattice is about 1800.

Resolution: the lattice has ``lattice_scale`` times the grid points of the requested shape on each
axis (default 0.5: 150 x 90 x 60 lattice nodes for the 300 x 180 x 120 volumes), and the
velocity magnitude is resampled trilinearly to the shape. ``steps_per_frame`` counts lattice steps
between saved timesteps at a lattice 150 nodes long and scales with the lattice length, so a
timestep is the same flow time at every resolution. The scalar is |u| / u_in (0 inside the body).
Simulating on the full 300 x 180 x 120 grid (``lattice_scale: 1``) costs 16 times as much (8x
the nodes, 2x the steps) as the default lattice.

Parameters (``source.params``; defaults below): ``lattice_scale``, ``u_in``, ``tau``,
``steps_per_frame``, ``yaw_deg``, ``perturbation``, ``gust``, ``gust_frames``. ``source.seed``
seeds the perturbation and the gust phases.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

from render.volumes import source_params
from render.volumes.resample import resample

DEFAULTS = {
    "lattice_scale": 0.5,
    "u_in": 0.1,
    "tau": 0.51,
    "steps_per_frame": 40,
    "yaw_deg": 35.0,
    "perturbation": 0.02,
    "gust": 0.05,
    "gust_frames": [17.0, 29.0],
}
REF_LENGTH = 150  # lattice length at which steps_per_frame is given
SMALL_LATTICE = 200_000  # nodes; below this one CPU thread beats several (too little work to split)

# D3Q19 velocities, each followed by its opposite, and their weights.
C = [(0, 0, 0),
     (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1),
     (1, 1, 0), (-1, -1, 0), (1, -1, 0), (-1, 1, 0), (1, 0, 1), (-1, 0, -1),
     (1, 0, -1), (-1, 0, 1), (0, 1, 1), (0, -1, -1), (0, 1, -1), (0, -1, 1)]
W = [1 / 3] + [1 / 18] * 6 + [1 / 36] * 12
OPP = [0] + [q + 1 if q % 2 else q - 1 for q in range(1, 19)]


def ship_mask(lattice: tuple[int, int, int], yaw_deg: float) -> np.ndarray:
    """Returns the solid nodes (bool [x, y, z]): sea surface at z = 0 plus a yawed hull and deckhouse."""
    nx, ny, nz = lattice
    x = np.arange(nx)[:, None, None] + 0.5
    y = np.arange(ny)[None, :, None] + 0.5
    z = np.arange(nz)[None, None, :] + 0.5
    length, beam = 0.4 * nx, 0.22 * ny  # hull length along the ship, full beam
    cx, cy = 0.3 * nx, 0.5 * ny
    yaw = math.radians(yaw_deg)
    # Ship coordinates: s from stern (0) to bow (1), n across the ship.
    along = (x - cx) * math.cos(yaw) + (y - cy) * math.sin(yaw)
    across = -(x - cx) * math.sin(yaw) + (y - cy) * math.cos(yaw)
    s = along / length + 0.5
    # Parallel body aft of s = 0.6, elliptic taper to a pointed bow.
    half = 0.5 * beam * np.sqrt(np.clip(1.0 - ((s - 0.6) / 0.4).clip(0.0, None) ** 2, 0.0, 1.0))
    in_plan = (s >= 0.0) & (s <= 1.0) & (np.abs(across) <= half)
    hull = in_plan & (z <= 0.15 * nz)
    house = ((s >= 0.5) & (s <= 0.8) & (np.abs(across) <= 0.4 * beam)
             & (z <= 0.32 * nz))
    solid = hull | house | (z < 1.0)
    return np.broadcast_to(solid, lattice).copy()


class LatticeBoltzmann:
    """D3Q19 populations ``f`` [19, x*y*z] of a channel with a solid body, advanced in time.

    Streaming shifts each population along the flattened array by ``c . strides``: one copy per
    direction. Crossing a y or z face this lands one row off (a helical rather than a plain
    periodic wrap); that only happens at the periodic side faces, far from the body, at the
    z = 0 wall (bounce-back sends every population back where it came from, so the wall is exact),
    and at the x faces, which the inflow and outflow conditions overwrite.
    """

    def __init__(self, solid: np.ndarray, u_in: float, tau: float, seed: int,
                 perturbation: float, device: str | None = None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.shape = solid.shape
        nx, ny, nz = self.shape
        self.u_in, self.omega = u_in, 1.0 / tau
        self.c = torch.tensor(C, dtype=torch.float32, device=self.device)
        self.w = torch.tensor(W, dtype=torch.float32, device=self.device)[:, None]
        self.shifts = [cx * ny * nz + cy * nz + cz for cx, cy, cz in C]
        self.solid_idx = torch.from_numpy(np.flatnonzero(solid)).to(self.device)
        gen = torch.Generator().manual_seed(seed)
        u = (perturbation * u_in * torch.randn((3, solid.size), generator=gen)).to(self.device)
        u[0] += u_in
        u[:, self.solid_idx] = 0.0
        self.f = self._equilibrium(torch.ones(solid.size, device=self.device), u)
        self.spare = torch.empty_like(self.f)
        self.plane = ny * nz

    def _equilibrium(self, rho: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Returns the D3Q19 equilibrium populations [19, n] for ``rho`` [n] and ``u`` [3, n]."""
        cu = self.c @ u
        feq = cu * 4.5
        return feq.add_(3.0).mul_(cu).add_(1.0 - 1.5 * (u * u).sum(0)).mul_(rho).mul_(self.w)

    def velocity(self) -> torch.Tensor:
        """Returns the velocity [3, n] of the current populations."""
        return (self.c.T @ self.f) / self.f.sum(0)

    def step(self, inflow: tuple[float, float, float]) -> None:
        """Advances one lattice step: BGK collision, streaming, bounce-back, inflow/outflow.

        ``inflow`` is the velocity imposed (as an equilibrium at density 1) on the x = 0 layer.
        """
        f, out = self.f, self.spare
        rho = f.sum(0)
        feq = self._equilibrium(rho, (self.c.T @ f) / rho)
        inside = f[:, self.solid_idx]  # solid nodes do not collide, they reflect
        f.lerp_(feq, self.omega)
        f[:, self.solid_idx] = inside
        for q, shift in enumerate(self.shifts):
            if shift > 0:
                out[q, shift:] = f[q, :-shift]
                out[q, :shift] = f[q, -shift:]
            elif shift < 0:
                out[q, :shift] = f[q, -shift:]
                out[q, shift:] = f[q, :-shift]
            else:
                out[q] = f[q]
        out[:, self.solid_idx] = out[:, self.solid_idx][OPP]
        u_in = torch.tensor(inflow, dtype=torch.float32, device=self.device)[:, None]
        out[:, :self.plane] = self._equilibrium(torch.ones(1, device=self.device), u_in)
        out[:, -self.plane:] = out[:, -2 * self.plane:-self.plane]
        self.f, self.spare = out, f

    def speed(self) -> np.ndarray:
        """Returns |u| / u_in as float32 numpy [x, y, z], zero inside solids."""
        u = self.velocity()
        mag = torch.sqrt((u * u).sum(0)) / self.u_in
        mag[self.solid_idx] = 0.0
        return mag.reshape(self.shape).float().cpu().numpy()


def gusts(u_in: float, gust: float, periods: list[float], seed: int) -> Iterator[tuple]:
    """Yields the inflow velocity of each lattice step: mean wind plus two seeded sine gusts."""
    phase = np.random.default_rng(seed).uniform(0.0, 2.0 * math.pi, 2)
    n = 0
    while True:
        cross = gust * math.sin(2.0 * math.pi * n / periods[0] + phase[0])
        along = 0.5 * gust * math.sin(2.0 * math.pi * n / periods[1] + phase[1])
        yield u_in * (1.0 + along), u_in * cross, 0.0
        n += 1


@contextlib.contextmanager
def cpu_threads(nodes: int, device: str) -> Iterator[None]:
    """Runs the block on one torch CPU thread when the lattice is small, then restores the setting."""
    before = torch.get_num_threads()
    if device == "cpu" and nodes < SMALL_LATTICE:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def lattice_for(shape: tuple[int, int, int], scale: float) -> tuple[int, int, int]:
    """Returns the lattice size for volumes of ``shape`` (at least 8 nodes per axis)."""
    return tuple(max(8, round(n * scale)) for n in shape)


def frames(
    manifest: dict[str, Any], shape: tuple[int, int, int], timesteps: Iterable[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields ``(k, |u| / u_in after k frames)`` resampled to ``shape`` for the requested timesteps."""
    p = source_params(manifest, DEFAULTS)
    seed = manifest["source"].get("seed", 0)
    lattice = lattice_for(shape, p["lattice_scale"])
    sim = LatticeBoltzmann(ship_mask(lattice, p["yaw_deg"]), p["u_in"], p["tau"], seed,
                           p["perturbation"])
    steps = max(1, round(p["steps_per_frame"] * lattice[0] / REF_LENGTH))
    wind = gusts(p["u_in"], p["gust"], [f * steps for f in p["gust_frames"]], seed)
    k = 0
    for t in sorted(timesteps):
        with cpu_threads(math.prod(lattice), sim.device):
            while k < t:
                for _ in range(steps):
                    sim.step(next(wind))
                k += 1
        yield t, resample(sim.speed(), shape)
