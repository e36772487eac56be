"""Implicit neural representations (INRs) as measured baselines: E-NeRV, HNeRV and NeRVI-like.

An INR is one network trained on every image it represents; its compressed form is the network
itself. Each method here is sized by a parameter budget, trained with its reference's loss and
schedule (:mod:`fcnr.inr.recipes`, :mod:`fcnr.inr.train`), and stored as one bitstream file
(:mod:`fcnr.inr.bitstream`: 8-bit weights, 6-bit HNeRV embeddings, rANS-coded, with a CRC). The
images that are scored are decoded from that file alone (:mod:`fcnr.inr.decode`).

- ``enerv``: E-NeRV (Li et al. 2022), its frame index replaced by the positional encoding of
  (t, theta, phi) as the FCNR paper describes (Sec. 5) -- :mod:`fcnr.inr.enerv`.
- ``hnerv``: HNeRV (Chen et al. 2023): a ConvNeXt encoder gives each image an embedding, a NeRV
  decoder turns it back into the image; the bitstream holds the decoder and the embeddings --
  :mod:`fcnr.inr.hnerv`.
- ``nervi``: "NeRVI-like", a documented reconstruction: NeRVI has no public code or text beyond
  the FCNR paper ("good image fidelity using mask loss"), so this is a NeRV-style generator on
  PE(t, theta, phi) trained with an extra loss on the foreground -- :mod:`fcnr.inr.nervi`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """One INR method: its name, display label, the name the paper's Table 2 gives it and the workflow's
    default parameter budgets."""

    name: str
    label: str
    paper_name: str
    default_sizes: tuple[int, ...]


METHODS: dict[str, Method] = {}


def register_method(name: str, label: str, default_sizes: tuple[int, ...], paper_name: str | None = None) -> Method:
    """Adds an INR method to ``METHODS`` (its network: ``fcnr.inr.models.CLASSES``, its recipe: ``RECIPES``)."""
    if name in METHODS:
        raise ValueError(f"INR method {name!r} is registered twice")
    METHODS[name] = Method(name, label, paper_name or label, default_sizes)
    return METHODS[name]


register_method("enerv", "E-NeRV", default_sizes=(20000,))
register_method("hnerv", "HNeRV", default_sizes=(30000,))
register_method("nervi", "NeRVI-like", default_sizes=(60000,), paper_name="NeRVI")
