"""The INR bitstream's checks and header, read without torch (the format: :mod:`fcnr.inr.bitstream`).

Scoring and the report need only what a bitstream represents and its size; reading that here
keeps torch and the entropy coder out of their processes.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from render.basics.errors import FCNRError

MAGIC = b"FCNR-INR"
VERSION = 1
PREFIX = struct.Struct("<8sHHI")  # magic, version, flags, JSON header length
U32 = struct.Struct("<I")


@dataclass(frozen=True)
class Header:
    """A bitstream file's size and JSON header: what it represents, read without decoding it."""

    path: Path
    size: int
    config: dict[str, Any]
    timesteps: list[int]
    views: int
    views_crc: int

    @property
    def images(self) -> list[tuple[int, int]]:
        """Returns the (t, view) of every image the INR represents, in embedding order."""
        return [(t, v) for t in self.timesteps for v in range(self.views)]

    def bpp(self) -> float:
        """Returns 8 * file bytes / (images * H * W)."""
        height, width = self.config["image"]
        return 8 * self.size / (len(self.images) * height * width)


def read_header(path: str | os.PathLike) -> Header:
    """Returns the header of the bitstream at ``path`` (checked as a full read is, nothing decoded)."""
    return read_checked(Path(path), _parse_header)


def _parse_header(path: Path, data: bytes, header_len: int) -> Header:
    header = json.loads(data[PREFIX.size : PREFIX.size + header_len])
    return Header(path, len(data) + U32.size, *header_fields(header))


def read_checked(path: Path, parse: Callable[[Path, bytes, int], Any]) -> Any:
    """Returns ``parse(path, the bytes before the CRC, JSON header length)`` of a checked bitstream file;
    a truncated, corrupted or foreign file is an FCNRError naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read the INR bitstream: {exc.strerror or exc}") from exc
    if len(data) < PREFIX.size + U32.size or data[:8] != MAGIC:
        raise FCNRError(f"{path}: not an FCNR INR bitstream (no {MAGIC.decode()} magic, or shorter than its header)")
    if zlib.crc32(data[:-4]) != U32.unpack_from(data, len(data) - 4)[0]:
        raise FCNRError(f"{path}: CRC mismatch: the file is truncated or corrupted; write it again")
    _, version, _, header_len = PREFIX.unpack_from(data)
    if version != VERSION:
        raise FCNRError(f"{path}: INR bitstream version {version}; this fcnr reads version {VERSION}")
    try:
        return parse(path, data[:-4], header_len)
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise FCNRError(f"{path}: malformed INR bitstream ({exc}); write it again") from exc


def header_fields(header: dict[str, Any]) -> tuple[dict[str, Any], list[int], int, int]:
    """Returns the parsed JSON header's (config, timesteps, views, views_crc)."""
    return header["config"], header["timesteps"], header["views"], header["views_crc"]
