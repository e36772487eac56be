"""Learning-rate schedules as pure functions of the step, so a resumed run follows the same curve."""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "constant")


def learning_rate(step: int, total: int, lr: float, schedule: str = "cosine", warmup: int = 0,
                  final_ratio: float = 0.05) -> float:
    """Returns the learning rate of step ``step`` (0-based) of ``total``.

    ``cosine``: linear warmup from ``lr / 10`` to ``lr`` over ``warmup`` steps, then a half cosine
    down to ``final_ratio * lr`` at the last step. ``constant``: ``lr`` throughout (the paper's).
    """
    if schedule == "constant":
        return lr
    if schedule != "cosine":
        raise ValueError(f"unknown learning-rate schedule {schedule!r}; use one of {', '.join(SCHEDULES)}")
    if step < warmup:
        return lr * (0.1 + 0.9 * step / warmup)
    span = max(total - 1 - warmup, 1)
    progress = min((step - warmup) / span, 1.0)
    return lr * (final_ratio + (1 - final_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))
