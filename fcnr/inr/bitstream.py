"""The INR bitstream: one file holding a trained INR's quantized weights (and HNeRV's embeddings).

Format, version 1. Integers little-endian::

    offset  size  type      field
    0       8     bytes     magic b"FCNR-INR"
    8       2     u16       version (1)
    10      2     u16       flags (0; reserved)
    12      4     u32       n = length of the JSON header
    16      n     utf-8     JSON header (compact): {"config": the model config (fcnr.inr.models),
                            "timesteps": [t, ...], "views": V, "views_crc": u32, "weight_bits": 8,
                            "embed_bits": 6 or null}
    16+n          tensors   for every stored tensor of the model (its state-dict order, which the
                            config fixes), then for the embeddings (HNeRV, shape (images, C, h, w)):
                            i8 axis (-1: one pair for the whole tensor), then k float16 minimums and
                            k float16 scales, k = 1 or the tensor's size along ``axis``
                  tables    for the weight symbols, then the embedding symbols (HNeRV): u16 alphabet
                            size A = 2^bits, then A frequencies as LEB128 varints (12-bit precision:
                            they sum to 4095, the rANS escape symbol takes the remaining 1)
                  stream    u32 length L, then L bytes: CompressAI's rANS coder (16-bit precision)
                            over every tensor's symbols in the order above, each tensor flattened
                            in C order, each symbol coded with its alphabet's table
    end-4   4     u32       CRC32 of every byte before it

The images an INR represents are every view 0..V-1 of each timestep in ``timesteps``, in that
order; HNeRV's embedding i belongs to image i. ``views_crc`` is the CRC32 of the views' (theta, phi)
as float64, so a decoder refuses a views file other than the encoder's. BPP = 8 * file bytes /
(images * H * W): everything a decoder reads is in the file and counted.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fcnr.inr.base import INR
from fcnr.inr.header import MAGIC, PREFIX, U32, VERSION, Header, header_fields, read_checked
from fcnr.inr.models import build_model
from fcnr.inr.quantize import WHOLE, Quantized, quantize
from render.basics.atomic import write_bytes

WEIGHT_BITS = 8
EMBED_BITS = 6
TABLE_BITS = 12  # precision of the stored frequencies; the coder works at 16 bits
CODER_BITS = 16

_U16 = struct.Struct("<H")
_I8 = struct.Struct("<b")
EMBEDDINGS = "embeddings"  # the layout's name for HNeRV's embeddings


@dataclass(frozen=True)
class Bitstream(Header):
    """What a bitstream file holds: the header and the dequantized tensors."""

    state: dict[str, torch.Tensor]  # the model's stored tensors, dequantized (float32)
    embeddings: torch.Tensor | None  # (images, C, h, w) for HNeRV, dequantized


def views_crc(angles: np.ndarray) -> int:
    """Returns the CRC32 of views' (theta, phi) pairs as little-endian float64 (an (V, 2) array)."""
    return zlib.crc32(np.ascontiguousarray(angles, dtype="<f8").tobytes())


def layout(header: dict[str, Any]) -> list[tuple[str, torch.Size, int]]:
    """Returns (name, shape, bits) of every quantized tensor in file order: the model's, then the embeddings."""
    with torch.device("meta"):  # shapes only
        model = build_model(header["config"], with_encoder=False)
    tensors = [(name, t.shape, header["weight_bits"]) for name, t in model.stored_state().items()]
    if model.embeds:
        images = len(header["timesteps"]) * header["views"]
        tensors.append((EMBEDDINGS, torch.Size((images, *model.embedding_shape())), header["embed_bits"]))
    return tensors


def write_bitstream(
    path: str | os.PathLike,
    model: INR,
    timesteps: Sequence[int],
    angles: np.ndarray,
    embeddings: torch.Tensor | None = None,
) -> dict[str, Any]:
    """Quantizes and entropy-codes ``model`` (and HNeRV's ``embeddings``) into ``path``; returns size figures.

    ``angles`` are the (theta, phi) of views 0..V-1; the images are every view of each timestep.
    """
    header = {"config": model.config, "timesteps": [int(t) for t in timesteps], "views": len(angles),
              "views_crc": views_crc(angles), "weight_bits": WEIGHT_BITS,
              "embed_bits": EMBED_BITS if model.embeds else None}  # fmt: skip
    tensors = {**model.stored_state(), **({EMBEDDINGS: embeddings} if model.embeds else {})}
    expected = layout(header)
    found = [(name, t.shape) for name, t in tensors.items()]
    if found != [(name, shape) for name, shape, _ in expected]:
        raise ValueError(f"tensors {found} do not match the layout the config implies")
    quantized = [quantize(tensors[name], bits) for name, _, bits in expected]
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    out = io.BytesIO()
    out.write(PREFIX.pack(MAGIC, VERSION, 0, len(text)) + text)
    for q in quantized:
        out.write(_I8.pack(q.axis) + _f16(q.minimum) + _f16(q.scale))
    symbols, indexes = _symbols(quantized, expected)
    tables = [frequencies(symbols[indexes == g], 2**bits) for g, bits in enumerate(_alphabets(expected))]
    for table in tables:
        out.write(_U16.pack(len(table)) + b"".join(_varint(int(f)) for f in table))
    from compressai.ans import RansEncoder  # imported here: only coding pays for CompressAI's import (5 s)

    stream = RansEncoder().encode_with_indexes(symbols.tolist(), indexes.tolist(), *_cdfs(tables))
    out.write(U32.pack(len(stream)) + stream)
    data = out.getvalue()
    data += U32.pack(zlib.crc32(data))
    write_bytes(path, data)
    return {"bytes": len(data), "header_bytes": len(text), "stream_bytes": len(stream), "symbols": len(symbols),
            "bits_per_symbol": 8 * len(stream) / len(symbols)}  # fmt: skip


def read_bitstream(path: str | os.PathLike) -> Bitstream:
    """Returns the bitstream at ``path``; a truncated, corrupted or foreign file is an FCNRError naming it."""
    return read_checked(Path(path), _parse)


def _parse(path: Path, data: bytes, header_len: int) -> Bitstream:
    """Returns the bitstream whose bytes (CRC checked and cut off) are ``data``."""
    reader = _Reader(data, PREFIX.size)
    header = json.loads(reader.take(header_len))
    expected = layout(header)
    pairs = []
    for _, shape, _ in expected:
        axis = _I8.unpack(reader.take(1))[0]
        k = 1 if axis == WHOLE else shape[axis]
        pairs.append((axis, reader.f16(k), reader.f16(k)))
    alphabets = _alphabets(expected)
    tables = []
    for bits in alphabets:
        size = _U16.unpack(reader.take(2))[0]
        if size != 2**bits:
            raise ValueError(f"a frequency table of {size} symbols for {bits}-bit values")
        tables.append(np.array([reader.varint() for _ in range(size)], dtype=np.int64))
    stream = reader.take(U32.unpack(reader.take(4))[0])
    if reader.offset != len(data):
        raise ValueError(f"{len(data) - reader.offset} bytes after the rANS stream")
    indexes = np.concatenate([np.full(math.prod(shape), _group(name)) for name, shape, _ in expected])
    from compressai.ans import RansDecoder  # imported here, as RansEncoder above

    symbols = np.array(RansDecoder().decode_with_indexes(stream, indexes.tolist(), *_cdfs(tables)), dtype=np.int64)
    tensors, offset = {}, 0
    for (name, shape, bits), (axis, minimum, scale) in zip(expected, pairs):
        n = math.prod(shape)
        q = torch.from_numpy(symbols[offset : offset + n].reshape(shape))
        tensors[name] = Quantized(q, minimum, scale, axis, bits).dequantize()
        offset += n
    embeddings = tensors.pop(EMBEDDINGS, None)
    return Bitstream(path, len(data) + U32.size, *header_fields(header), tensors, embeddings)


def frequencies(symbols: np.ndarray, alphabet: int) -> np.ndarray:
    """Returns 12-bit frequencies of ``symbols`` over [0, alphabet): every present symbol at least 1, sum 4095."""
    counts = np.bincount(symbols, minlength=alphabet).astype(np.int64)
    if counts.size > alphabet:
        raise ValueError(f"a symbol is outside the {alphabet}-symbol alphabet")
    total = 2**TABLE_BITS - 1
    present = counts > 0
    if present.sum() > total:
        raise ValueError(f"{present.sum()} distinct symbols do not fit a {TABLE_BITS}-bit table")
    freq = np.where(present, np.maximum(1, np.floor(counts * total / max(1, counts.sum()))), 0).astype(np.int64)
    while freq.sum() != total:  # hand the rounding remainder to (or take it from) the commonest symbols
        step = 1 if freq.sum() < total else -1
        for index in np.argsort(-counts, kind="stable"):
            if freq.sum() == total:
                break
            if present[index] and freq[index] + step >= 1:
                freq[index] += step
    return freq


def _group(name: str) -> int:
    """Returns the alphabet a tensor's symbols use: 0 for weights, 1 for HNeRV's embeddings."""
    return 1 if name == EMBEDDINGS else 0


def _alphabets(expected: list[tuple[str, torch.Size, int]]) -> list[int]:
    """Returns the bit depth of each alphabet in use (weights, then embeddings)."""
    bits = {_group(name): b for name, _, b in expected}
    return [bits[g] for g in sorted(bits)]


def _symbols(quantized: list[Quantized], expected) -> tuple[np.ndarray, np.ndarray]:
    """Returns every tensor's symbols flattened in file order, and the alphabet index of each."""
    symbols = np.concatenate([q.symbols.flatten().numpy() for q in quantized])
    indexes = np.concatenate([np.full(q.symbols.numel(), _group(name)) for q, (name, _, _) in zip(quantized, expected)])
    return symbols, indexes


def _cdfs(tables: list[np.ndarray]) -> tuple[list[list[int]], list[int], list[int]]:
    """Returns CompressAI's (cdfs, cdf lengths, offsets): 16-bit CDFs with the escape symbol last (frequency 1)."""
    scale = 2 ** (CODER_BITS - TABLE_BITS)
    cdfs = [[0, *np.cumsum(np.append(table, 1) * scale).tolist()] for table in tables]
    return cdfs, [len(c) for c in cdfs], [0] * len(cdfs)


def _f16(values: torch.Tensor) -> bytes:
    return values.numpy().astype("<f2").tobytes()


def _varint(value: int) -> bytes:
    """Returns ``value`` (>= 0) as an unsigned LEB128 varint."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


class _Reader:
    """Reads a bitstream's fields from ``offset`` on; running past the end is a ValueError."""

    def __init__(self, data: bytes, offset: int):
        self.data, self.offset = data, offset

    def take(self, n: int) -> bytes:
        if self.offset + n > len(self.data):
            raise ValueError(f"the file ends inside a field at byte {self.offset}")
        chunk = self.data[self.offset : self.offset + n]
        self.offset += n
        return chunk

    def f16(self, count: int) -> torch.Tensor:
        return torch.from_numpy(np.frombuffer(self.take(2 * count), dtype="<f2").astype(np.float16))

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
