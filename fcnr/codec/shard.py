"""The FCNR shard: one timestep's compressed view pairs in one file with random access.

Format, version 2. All integers little-endian. Every byte counts against the images' BPP, so the
per-pair overhead is small: 28 bytes of index and 4 of payload (version 1 spent 91).

Header::

    offset  size  type      field
    0       8     bytes     magic  b"FCNRSHRD"
    8       2     u16       version (2)
    10      2     u16       flags (0; reserved)
    12      4     u32       header_len: bytes from offset 0 up to and including header_crc
    16      2     u16       n = length of model_id
    18      n     utf-8     model_id (fcnr.codec.model_files.model_id: a hash of the weights and config)
    18+n    4     u32       image height H
            4     u32       image width W
            4     i32       timestep t
            4     u32       record count R
            R*28            index, one entry per record (below)
            4     u32       header_crc: CRC32 of every byte before it (header and index)

Index entry (28 bytes)::

    u16 left view id, u16 right view id,
    f32 theta_left, f32 phi_left, f32 theta_right, f32 phi_right   (radians),
    u32 payload length, u32 payload CRC32

The view angles are stored (rounded to float32, and the encoder computes the view parameters from
the rounded values) so that the decoder rebuilds exactly the encoder's view parameters without the
views file. Payloads follow the header back to back, in index order, so record i starts at
header_len plus the lengths before it; the file ends with the last payload (any other size is an
error).

Record payload (one view pair; see :func:`encode_payload`)::

    u32      CRC32 of the quantized latents (fcnr.codec.model.latents_crc)
    bytes    the pair's one rANS stream: z_l, z_r, y_l, y_r in that order (the latent shapes
             follow from the image size); a model with ``context: checkerboard`` codes each
             of z_l, y_l and y_r in two runs, its anchors ((row + column) even, row-major)
             then the rest (the model, named by model_id, says which)

Bytes per image: a record can only be decoded whole (the right image's latents are coded
conditionally on the left's), so each of a pair's two images is charged half the record's
bytes, and the header is shared evenly by all images of the shard (:meth:`Shard.image_bytes`).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from render.basics.atomic import write_bytes
from render.basics.errors import FCNRError

MAGIC = b"FCNRSHRD"
VERSION = 2

_PREFIX = struct.Struct("<8sHHI")
_ID_LEN = struct.Struct("<H")
_FIELDS = struct.Struct("<IIiI")
_ENTRY = struct.Struct("<HH4fII")
_CRC = struct.Struct("<I")
_U32 = struct.Struct("<I")


@dataclass(frozen=True)
class ShardHeader:
    """The shard-wide fields: which model made it, the image size and the timestep."""

    model_id: str
    height: int
    width: int
    timestep: int


@dataclass(frozen=True)
class Record:
    """One index entry: a view pair, its view angles and where its payload lies."""

    t: int
    left: int
    right: int
    theta_left: float
    phi_left: float
    theta_right: float
    phi_right: float
    offset: int
    length: int
    crc: int

    @property
    def views(self) -> tuple[int, int]:
        """Returns the pair's (left, right) view ids."""
        return self.left, self.right


@dataclass(frozen=True)
class Payload:
    """A decoded record payload: the pair's rANS stream and the CRC of its quantized latents."""

    stream: bytes
    symbols_crc: int


@dataclass(frozen=True)
class PairEntry:
    """What the writer needs for one record: the pair's views, angles and payload."""

    left: int
    right: int
    theta_left: float
    phi_left: float
    theta_right: float
    phi_right: float
    payload: bytes


def crc32(data: bytes) -> int:
    """Returns the unsigned CRC32 of ``data`` (the checksum used throughout the format)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def encode_payload(stream: bytes, symbols_crc: int) -> bytes:
    """Returns the record payload bytes for one pair's rANS stream and latent CRC."""
    return _U32.pack(symbols_crc) + bytes(stream)


def decode_payload(data: bytes, where: str = "payload") -> Payload:
    """Returns the stream and latent CRC held in a record payload; ``where`` names it in errors."""
    if len(data) <= _U32.size:
        raise FCNRError(f"{where}: payload is malformed ({len(data)} bytes, no stream after the latent CRC)")
    (symbols_crc,) = _U32.unpack_from(data)
    return Payload(bytes(data[_U32.size :]), symbols_crc)


def pack_shard(header: ShardHeader, pairs: Sequence[PairEntry]) -> bytes:
    """Returns the complete shard file bytes for ``pairs`` (in this order) under ``header``."""
    model_id = header.model_id.encode("utf-8")
    header_len = _PREFIX.size + _ID_LEN.size + len(model_id) + _FIELDS.size + _ENTRY.size * len(pairs) + _CRC.size
    head = [
        _PREFIX.pack(MAGIC, VERSION, 0, header_len),
        _ID_LEN.pack(len(model_id)),
        model_id,
        _FIELDS.pack(header.height, header.width, header.timestep, len(pairs)),
    ]
    for p in pairs:
        if max(p.left, p.right) > 0xFFFF:
            raise ValueError(f"view ids above {0xFFFF} do not fit a shard (pair {p.left},{p.right})")
        head.append(_ENTRY.pack(p.left, p.right, p.theta_left, p.phi_left, p.theta_right, p.phi_right,
                                len(p.payload), crc32(p.payload)))  # fmt: skip
    head_bytes = b"".join(head)
    return head_bytes + _CRC.pack(crc32(head_bytes)) + b"".join(p.payload for p in pairs)


def write_shard(path: str | os.PathLike, header: ShardHeader, pairs: Sequence[PairEntry]) -> int:
    """Writes the shard atomically to ``path`` and returns its size in bytes."""
    data = pack_shard(header, pairs)
    write_bytes(path, data)
    return len(data)


@dataclass(frozen=True)
class Shard:
    """An opened shard: header and index in memory; payloads are read one record at a time."""

    path: Path
    header: ShardHeader
    records: list[Record]
    header_len: int
    size: int

    def describe(self, i: int) -> str:
        """Returns how errors name record ``i``: the shard path, record index, timestep and views."""
        r = self.records[i]
        return f"shard {self.path}: record {i} (t={r.t}, views {r.left},{r.right})"

    def find(self, view: int) -> int:
        """Returns the index of the record holding ``view``; raises FCNRError if no record does."""
        for i, r in enumerate(self.records):
            if view in r.views:
                return i
        views = sorted(v for r in self.records for v in r.views)
        shown = f"{views[0]}..{views[-1]}" if views else "none"
        raise FCNRError(
            f"shard {self.path}: view {view} is not in this shard (t={self.header.timestep}, "
            f"{len(views)} views: {shown}); pick a view the shard holds (see `fcnr info`)"
        )

    def payload_bytes(self, i: int) -> bytes:
        """Returns record ``i``'s raw payload after checking its CRC; reads only that record."""
        r = self.records[i]
        with open(self.path, "rb") as handle:
            handle.seek(r.offset)
            data = handle.read(r.length)
        if len(data) != r.length:
            raise FCNRError(
                f"{self.describe(i)}: truncated, payload needs bytes {r.offset}..{r.offset + r.length} but "
                f"the file now has {r.offset + len(data)}; re-run `fcnr compress` for this timestep"
            )
        if crc32(data) != r.crc:
            raise FCNRError(
                f"{self.describe(i)}: corrupt record (CRC32 {crc32(data):08x}, index says {r.crc:08x}); "
                "re-run `fcnr compress` for this timestep"
            )
        return data

    def payload(self, i: int) -> Payload:
        """Returns record ``i``'s decoded payload after checking its CRC."""
        return decode_payload(self.payload_bytes(i), self.describe(i))

    def check_model(self, model_id: str) -> None:
        """Raises FCNRError unless the shard was made by the model with ``model_id``."""
        if model_id != self.header.model_id:
            raise FCNRError(
                f"shard {self.path}: made by another model (shard model id {self.header.model_id}, "
                f"given model {model_id}); decode it with the model that compressed it"
            )

    def image_bytes(self, i: int) -> float:
        """Returns the bytes charged to each image of record ``i``: half the record plus a header share."""
        n_images = 2 * len(self.records)
        return self.records[i].length / 2 + self.header_len / n_images

    def bpp(self, i: int) -> float:
        """Returns bits per pixel of each image of record ``i`` (header share included)."""
        return 8 * self.image_bytes(i) / (self.header.height * self.header.width)


def read_shard(path: str | os.PathLike) -> Shard:
    """Returns the shard's header and index after checking magic, version, CRC and file size."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            prefix = handle.read(_PREFIX.size)
            if len(prefix) < _PREFIX.size:
                raise FCNRError(f"shard {path}: truncated header ({size} bytes); re-run `fcnr compress`")
            magic, version, _flags, header_len = _PREFIX.unpack(prefix)
            if magic != MAGIC:
                raise FCNRError(f"shard {path}: not an FCNR shard (magic {magic!r}, expected {MAGIC!r})")
            if version != VERSION:
                raise FCNRError(
                    f"shard {path}: format version {version} is not supported (this fcnr reads version "
                    f"{VERSION}); re-compress with this version"
                )
            rest = handle.read(header_len - _PREFIX.size) if header_len > _PREFIX.size else b""
    except OSError as exc:
        raise FCNRError(f"shard {path}: cannot read ({exc.strerror or exc})") from exc
    head = prefix + rest
    if len(head) < header_len:
        raise FCNRError(
            f"shard {path}: truncated header (needs {header_len} bytes, file has {size}); re-run `fcnr compress`"
        )
    if header_len < _PREFIX.size + _ID_LEN.size + _FIELDS.size + _CRC.size:
        raise FCNRError(f"shard {path}: corrupt header (header length {header_len} is too small)")
    (stored,) = _CRC.unpack_from(head, header_len - _CRC.size)
    if crc32(head[: header_len - _CRC.size]) != stored:
        raise FCNRError(f"shard {path}: corrupt header or index (CRC32 mismatch); re-run `fcnr compress`")
    pos = _PREFIX.size
    (id_len,) = _ID_LEN.unpack_from(head, pos)
    pos += _ID_LEN.size
    model_id = head[pos : pos + id_len].decode("utf-8")
    pos += id_len
    height, width, timestep, count = _FIELDS.unpack_from(head, pos)
    pos += _FIELDS.size
    if pos + count * _ENTRY.size + _CRC.size != header_len:
        raise FCNRError(f"shard {path}: corrupt header ({count} records do not fit {header_len} header bytes)")
    records, offset = [], header_len
    for k in range(count):
        left, right, *angles, length, crc = _ENTRY.unpack_from(head, pos + k * _ENTRY.size)
        records.append(Record(timestep, left, right, *angles, offset, length, crc))
        offset += length
    shard = Shard(path, ShardHeader(model_id, height, width, timestep), records, header_len, size)
    expected = header_len
    for i, r in enumerate(records):
        expected += r.length
        if expected > size:
            raise FCNRError(
                f"{shard.describe(i)}: truncated, payload ends at byte {expected} but the file has {size} bytes; "
                "re-run `fcnr compress` for this timestep"
            )
    if size != expected:
        raise FCNRError(f"shard {path}: {size - expected} unexpected bytes after the last record")
    return shard
