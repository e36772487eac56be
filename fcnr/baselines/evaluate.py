"""Run a baseline codec over a set of rendered images and score every decoded image.

Images are coded one timestep at a time, in view order (so a video codec sees the views as frames
in pair order). Coding times cover the codec's encode and decode calls only, not reading PNGs or
computing metrics, as for FCNR's own timing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fcnr.baselines.base import Codec
from fcnr.evaluation.evaluate import write_metrics_csv
from fcnr.images import image_path, read_image, write_image
from render.basics.atomic import write_json
from render.basics.errors import FCNRError

#: scores one (reference, decoded) image pair: {"psnr", "msssim", "lpips"}
Scorer = Callable[[np.ndarray, np.ndarray], Mapping[str, float]]


@dataclass
class BaselineResult:
    """Per-image rows (FCNR's metrics columns) and coding times of one codec at one setting."""

    codec: Codec
    rows: list[dict] = field(default_factory=list)
    encode_seconds: float = 0.0
    decode_seconds: float = 0.0
    total_bytes: int = 0
    pixels: int = 0

    def timing(self) -> dict:
        """Returns the JSON-ready timing and size; ET and DT as in the paper (hours, seconds)."""
        images = len(self.rows)
        return {
            "codec": self.codec.name,
            "setting": self.codec.setting,
            "quality": self.codec.quality,
            "images": images,
            "bytes": self.total_bytes,
            "bpp": 8 * self.total_bytes / self.pixels if self.pixels else None,
            "encoding_seconds": self.encode_seconds,
            "decoding_seconds": self.decode_seconds,
            "encoding_images_per_second": images / self.encode_seconds if self.encode_seconds else None,
            "decoding_images_per_second": images / self.decode_seconds if self.decode_seconds else None,
            "et_hours": self.encode_seconds / 3600,
            "dt_seconds": self.decode_seconds,
        }

    def summary_line(self) -> str:
        """Returns one line: codec, setting, images, mean bpp and PSNR, coding times."""
        timing = self.timing()
        mean_psnr = float(np.mean([row["psnr"] for row in self.rows]))
        return (f"{self.codec!r}: {timing['images']} images, {timing['bpp']:.5f} bpp, "
                f"PSNR {mean_psnr:.2f} dB, encode {self.encode_seconds:.2f} s, "
                f"decode {self.decode_seconds:.2f} s")  # fmt: skip


def setting_dir(out: str | os.PathLike, codec: Codec) -> Path:
    """Returns the folder of one codec setting's outputs: ``out/q{quality}``."""
    return Path(out) / f"q{codec.quality}"


def write_result(out: str | os.PathLike, result: BaselineResult, lpips_status: Mapping) -> Path:
    """Writes ``metrics.csv`` and ``timing.json`` (with the LPIPS status) under ``out/q{Q}``; returns that folder."""
    folder = setting_dir(out, result.codec)
    write_metrics_csv(folder / "metrics.csv", result.rows)
    write_json(folder / "timing.json", result.timing() | {"lpips": dict(lpips_status)})
    return folder


def evaluate_codec(
    codec: Codec,
    images_root: str | os.PathLike,
    views: np.ndarray,
    split: Mapping[tuple[int, int], str],
    score: Scorer,
    decoded_out: str | os.PathLike | None = None,
    decoded_timestep: int | None = None,
) -> BaselineResult:
    """Returns the rows and times of coding every image in ``split`` ({(t, view): split}) with ``codec``.

    ``views`` gives each view's theta and phi. With ``decoded_out``, the decoded images of
    ``decoded_timestep`` (default: the first) are written as ``decoded_out/t{t:04d}/v{view:04d}.png``.
    """
    angles = {int(v["index"]): (float(v["theta"]), float(v["phi"])) for v in views}
    by_timestep: dict[int, list[int]] = {}
    for t, view in sorted(split):
        if view not in angles:
            raise FCNRError(f"view {view} of timestep {t} is in the split but not in the views CSV")
        by_timestep.setdefault(t, []).append(view)
    if not by_timestep:
        raise FCNRError("the split lists no images")
    if decoded_timestep is None:
        decoded_timestep = min(by_timestep)
    elif decoded_out and decoded_timestep not in by_timestep:
        raise FCNRError(f"--decoded-timestep {decoded_timestep} is not among the coded timesteps")

    result = BaselineResult(codec)
    for t, view_ids in by_timestep.items():
        folder = Path(images_root) / f"t{t:04d}"
        originals = [read_image(image_path(folder, view)) for view in view_ids]
        start = time.perf_counter()
        encoded = codec.encode(originals)
        middle = time.perf_counter()
        decoded = codec.decode(encoded.streams)
        result.encode_seconds += middle - start
        result.decode_seconds += time.perf_counter() - middle
        if len(decoded) != len(originals):
            raise FCNRError(f"{codec!r}: timestep {t}: {len(originals)} images in, {len(decoded)} out")
        result.total_bytes += encoded.total_bytes
        for view, original, image, size in zip(view_ids, originals, decoded, encoded.image_bytes):
            pixels = original.shape[0] * original.shape[1]
            result.pixels += pixels
            theta, phi = angles[view]
            result.rows.append({
                "t": t, "view": view, "theta": theta, "phi": phi, "split": split[(t, view)],
                **score(original, image), "bytes": size, "bpp": 8 * size / pixels,
            })  # fmt: skip
            if decoded_out and t == decoded_timestep:
                write_image(image_path(Path(decoded_out) / f"t{t:04d}", view), image)
    return result

