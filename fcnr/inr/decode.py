"""Decoding images from an INR bitstream alone: rebuild the network, load the dequantized tensors, query it.

Opening a file (read, CRC check, rANS decoding, dequantization, building the network) is the
one-time load; each image then costs one forward pass at its code: the view parameters
(t, theta, phi) for E-NeRV and NeRVI-like, the image's stored embedding for HNeRV. Both are timed
apart, without the reading or writing of PNG files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from fcnr.codec.model_io import load_state
from fcnr.codec.params import view_params
from fcnr.images import image_path, timestep_dir, to_uint8, write_image
from fcnr.inr.bitstream import Bitstream, read_bitstream, views_crc
from fcnr.inr.models import build_model
from render.basics.errors import FCNRError


class Decoder:
    """The network of one bitstream, ready to decode any of its images."""

    def __init__(self, bitstream: Bitstream, device: torch.device | str = "cpu"):
        self.bitstream = bitstream
        self.device = torch.device(device)
        model = build_model(bitstream.config, with_encoder=False)
        load_state(model, bitstream.state, bitstream.path)
        self.model = model.to(self.device).eval()
        self.embeddings = bitstream.embeddings.to(self.device) if bitstream.embeddings is not None else None

    def check_views(self, angles: np.ndarray, source: str | os.PathLike) -> None:
        """Refuses views (a (V, 2) array of theta, phi) other than those the INR was trained on."""
        b = self.bitstream
        if len(angles) != b.views or views_crc(angles) != b.views_crc:
            raise FCNRError(f"{source}: these {len(angles)} views are not the {b.views} views {b.path} was "
                            "encoded with; pass the run's views CSV")  # fmt: skip

    def code(self, t: int, view: int, theta: float, phi: float) -> torch.Tensor:
        """Returns the (1, ...) code of image (t, view): its view parameters, or its HNeRV embedding."""
        b = self.bitstream
        if t not in b.timesteps or not 0 <= view < b.views:
            raise FCNRError(f"{b.path}: no image t={t}, view={view}; it holds views 0..{b.views - 1} of "
                            f"timesteps {b.timesteps}")  # fmt: skip
        if self.embeddings is not None:
            return self.embeddings[b.timesteps.index(t) * b.views + view][None]
        t_range = (min(b.timesteps), max(b.timesteps))
        return view_params(t, theta, phi, t_range)[None].to(self.device)

    @torch.no_grad()
    def decode(self, t: int, view: int, theta: float, phi: float) -> np.ndarray:
        """Returns image (t, view) as uint8 H x W x 3."""
        return to_uint8(self.model.synthesize(self.code(t, view, theta, phi)))


def decode_images(
    path: str | os.PathLike,
    angles: np.ndarray,
    views_source: str | os.PathLike,
    out: str | os.PathLike,
    wanted: Iterable[tuple[int, int]] | None = None,
    device: torch.device | str = "cpu",
) -> dict:
    """Decodes the images ``wanted`` (default: all) of bitstream ``path`` into ``out/t{t:04d}/v{view:04d}.png``.

    ``angles`` are the (theta, phi) of views 0..V-1 (read from ``views_source``). Returns the timing:
    load and per-image decoding seconds apart, images, bytes.
    """
    tic = time.perf_counter()
    decoder = Decoder(read_bitstream(path), device)
    load_seconds = time.perf_counter() - tic
    decoder.check_views(angles, views_source)
    decode_seconds, count = 0.0, 0
    for t, view in decoder.bitstream.images if wanted is None else wanted:
        tic = time.perf_counter()
        image = decoder.decode(t, view, float(angles[view][0]), float(angles[view][1]))
        decode_seconds += time.perf_counter() - tic
        write_image(image_path(timestep_dir(out, t), view), image)
        count += 1
    return {"load_seconds": load_seconds, "decode_seconds": decode_seconds, "images": count,
            "seconds_per_image": decode_seconds / count if count else None, "bytes": decoder.bitstream.size,
            "bitstream": str(Path(path))}  # fmt: skip
