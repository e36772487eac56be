"""Training data: image pairs of rendered views with their normalised (t, theta, phi)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from fcnr.codec.params import view_params
from fcnr.images import image_path, read_image, timestep_dir, to_tensor
from fcnr.training.split import read_split
from render.basics.errors import FCNRError
from render.views import read_views, view_pairs


@dataclass(frozen=True)
class Pair:
    """One training pair: timestep, left/right view ids and their (theta, phi)."""

    t: int
    left: int
    right: int
    angles_l: tuple[float, float]
    angles_r: tuple[float, float]


def training_pairs(views_path, split_path) -> tuple[list[Pair], tuple[int, int]]:
    """Returns (pairs whose two images are both split=train, t_range of all timesteps in the split)."""
    views = read_views(views_path)
    split = read_split(split_path)
    if not split:
        raise FCNRError(f"{split_path}: no rows")
    angles = {int(v["index"]): (float(v["theta"]), float(v["phi"])) for v in views}
    timesteps = sorted({t for t, _ in split})
    pairs = [
        Pair(t, l, r, angles[l], angles[r])
        for t in timesteps
        for l, r in view_pairs(views)
        if split.get((t, l)) == "train" and split.get((t, r)) == "train"
    ]
    if not pairs:
        raise FCNRError(f"{split_path}: no pair of views of {views_path} has both images in split 'train'")
    return pairs, (timesteps[0], timesteps[-1])


class PairDataset(torch.utils.data.Dataset):
    """Returns (x_l, x_r, p_l, p_r) for pair i: images (3, H, W) in [0, 1], params (3,)."""

    def __init__(self, images_root, pairs: list[Pair], t_range: tuple[int, int]):
        self.root = Path(images_root)
        self.pairs, self.t_range = pairs, t_range

    def __len__(self) -> int:
        return len(self.pairs)

    def image(self, t: int, view: int) -> torch.Tensor:
        """Returns image ``IMAGES_ROOT/t{t:04d}/v{view:04d}.png`` as a (3, H, W) float tensor."""
        return to_tensor(read_image(image_path(timestep_dir(self.root, t), view)))[0]

    def __getitem__(self, i: int):
        pair = self.pairs[i]
        x_l, x_r = self.image(pair.t, pair.left), self.image(pair.t, pair.right)
        if x_l.shape != x_r.shape:
            raise FCNRError(f"{self.root}/t{pair.t:04d}: views {pair.left} and {pair.right} differ in size")
        return (
            x_l,
            x_r,
            view_params(pair.t, *pair.angles_l, self.t_range),
            view_params(pair.t, *pair.angles_r, self.t_range),
        )


def random_crop(images: list[torch.Tensor], size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """Returns the same random window of at most ``size`` x ``size`` of each image (all (3, H, W) alike).

    A side no longer than ``size`` is kept whole, so a crop of 128 leaves 128^2 images as they are
    and trains on 128^2 windows of 512^2 ones: a step costs the same at any image size.
    """
    h, w = images[0].shape[-2:]
    top = int(torch.randint(0, max(h - size, 0) + 1, (1,), generator=generator))
    left = int(torch.randint(0, max(w - size, 0) + 1, (1,), generator=generator))
    return [x[..., top : top + size, left : left + size] for x in images]


def crop_window(height: int, width: int, crop: int | None) -> tuple[int, int]:
    """Returns the (height, width) a training step sees of ``height`` x ``width`` images with ``crop``."""
    return (height, width) if crop is None else (min(height, crop), min(width, crop))


def source_datasets(images_roots, views_paths, split_paths) -> list[PairDataset]:
    """Returns one PairDataset per images root, with its own views and split (one given for all is shared).

    Each source normalises t by its own split's timesteps, so sources of different datasets mix.
    """
    roots = list(images_roots)
    views_paths = _per_source(views_paths, len(roots), "--views")
    split_paths = _per_source(split_paths, len(roots), "--split")
    datasets = []
    for root, views, split in zip(roots, views_paths, split_paths):
        pairs, t_range = training_pairs(views, split)
        datasets.append(PairDataset(root, pairs, t_range))
    return datasets


def _per_source(paths, count: int, option: str) -> list:
    paths = list(paths)
    if len(paths) == 1:
        return paths * count
    if len(paths) != count:
        raise FCNRError(f"{option}: give one file for all {count} images roots or one per root, not {len(paths)}")
    return paths
