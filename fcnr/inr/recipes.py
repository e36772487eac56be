"""Each INR's training recipe, from its reference: loss, Adam settings, batch size, learning-rate schedule.

Every schedule is the references' warmup-then-cosine: the learning rate rises linearly from 0.1 lr
to lr over the first ``warmup`` fraction of the steps, then follows a half cosine to 0 (E-NeRV's
``warmup_cosine``, HNeRV's ``cosine_0.1_1_0.1``): ``fcnr.training.schedule.learning_rate`` with a
final ratio of 0, a function of the step alone, so a resumed run continues on the same curve.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    """How one method trains; ``source`` says where each value comes from."""

    loss: str  # a key of fcnr.inr.losses.LOSSES
    lr: float
    betas: tuple[float, float]
    warmup: float
    batch_size: int
    source: str


RECIPES = {
    "enerv": Recipe("fusion6", 5e-4, (0.5, 0.999), 0.2, 1,
                    "kyleleey/E-NeRV cfgs/E-NeRV-bunny.yaml: Fusion6, Adam lr 5e-4 betas (0.5, 0.999), "
                    "warmup_cosine with 20 % warmup, batch 1"),
    "hnerv": Recipe("l2", 1e-3, (0.9, 0.999), 0.1, 2,
                    "haochen-rye/HNeRV README: --loss L2 --lr 0.001 -b 2 --lr_type cosine_0.1_1_0.1, Adam defaults"),
    "nervi": Recipe("fusion6+foreground", 5e-4, (0.5, 0.999), 0.2, 1,
                    "reconstruction: NeRV's recipe (Fusion6, Adam lr 5e-4 betas (0.5, 0.999), 20 % warmup, "
                    "batch 1) plus an L1 term on the foreground, for the paper's 'mask loss'"),
}  # fmt: skip
