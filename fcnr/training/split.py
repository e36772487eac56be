"""The paper's training subset: 1/2 of the views x 1/3 of the timesteps, evenly chosen.

Views are taken a whole pair at a time (pairs 0, 2, 4, ... i.e. views 4k and 4k+1), so every
training image's stereo partner is a training image too.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from render.basics.atomic import write_text
from render.basics.errors import FCNRError


def training_timesteps(timesteps: Sequence[int], fraction: int = 3) -> list[int]:
    """Returns every ``fraction``-th timestep (1/3 of them by default), starting with the first."""
    return list(timesteps)[::fraction]


def training_views(n_views: int, fraction: int = 2) -> list[int]:
    """Returns the views of every ``fraction``-th pair (1/2 of the views by default)."""
    if n_views % 2:
        raise ValueError(f"views come in pairs; got an odd count {n_views}")
    return [v for pair in range(0, n_views // 2, fraction) for v in (2 * pair, 2 * pair + 1)]


def split_rows(
    timesteps: Sequence[int], n_views: int, timestep_fraction: int = 3, view_fraction: int = 2
) -> list[tuple[int, int, str]]:
    """Returns ``(t, view, split)`` for every image, split being ``train`` or ``unseen``.

    The paper's split by default; fractions of 1 make every image a training image (the base model's).
    """
    train_t = set(training_timesteps(timesteps, timestep_fraction))
    train_v = set(training_views(n_views, view_fraction))
    return [
        (t, v, "train" if t in train_t and v in train_v else "unseen")
        for t in timesteps
        for v in range(n_views)
    ]


SPLIT_COLUMNS = ("t", "view", "split")


def write_split_csv(path: str | os.PathLike, timesteps: Sequence[int], n_views: int, **fractions: int) -> None:
    """Writes :func:`split_rows` to ``path`` as CSV ``t,view,split`` (read by :func:`read_split`)."""
    rows = split_rows(timesteps, n_views, **fractions)
    lines = [",".join(SPLIT_COLUMNS)] + [f"{t},{v},{s}" for t, v, s in rows]
    write_text(path, "\n".join(lines) + "\n")


def read_split(path: str | os.PathLike) -> dict[tuple[int, int], str]:
    """Returns {(t, view): "train" | "unseen"} from a ``t,view,split`` CSV."""
    path = Path(path)
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != ["t", "view", "split"]:
                raise FCNRError(f"{path}: expected header t,view,split, found {','.join(reader.fieldnames or [])}")
            return {(int(r["t"]), int(r["view"])): r["split"] for r in reader}
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read the split: {exc.strerror or exc}") from exc
    except (ValueError, TypeError) as exc:
        raise FCNRError(f"{path}: malformed row ({exc}); write it with the workflow's split rule") from exc
