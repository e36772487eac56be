"""The shard container on synthetic payloads: round trip, random access and every bad input."""

from __future__ import annotations

import json
import os
import re
import struct

import pytest

from fcnr.cli import main
from fcnr.codec.shard import (
    PairEntry,
    ShardHeader,
    decode_payload,
    encode_payload,
    pack_shard,
    read_shard,
    write_shard,
)
from render.basics.errors import FCNRError

MODEL_ID = "0123456789abcdef"
HEADER = ShardHeader(MODEL_ID, 64, 48, 17)
ENTRY = 28  # bytes per index entry, as the format documents


def make_pairs(n: int = 3) -> list[PairEntry]:
    pairs = []
    for j in range(n):
        payload = encode_payload(bytes([j, 7]) * (5 + 7 * j), symbols_crc=1000 + j)
        pairs.append(PairEntry(2 * j, 2 * j + 1, 0.125 * j, 0.25 * j, 0.125 * j + 0.5, 1.0 + j, payload))
    return pairs


@pytest.fixture
def shard_path(tmp_path):
    path = tmp_path / "t0017.fcnr"
    write_shard(path, HEADER, make_pairs())
    return path


def test_payload_round_trip():
    p = decode_payload(encode_payload(b"\x00\xff" * 100, symbols_crc=0xDEADBEEF))
    assert p.stream == b"\x00\xff" * 100 and p.symbols_crc == 0xDEADBEEF
    assert len(encode_payload(b"abc", 1)) == 4 + 3  # the latent CRC is the only per-record overhead


def test_round_trip(shard_path):
    pairs = make_pairs()
    shard = read_shard(shard_path)
    assert shard.header == HEADER
    assert [r.views for r in shard.records] == [(0, 1), (2, 3), (4, 5)]
    assert shard.size == os.path.getsize(shard_path)
    # The documented layout: 16-byte prefix, u16 id length + id, 16 bytes of fields, index, CRC.
    assert shard.header_len == 16 + 2 + len(MODEL_ID) + 16 + 3 * ENTRY + 4
    assert shard.records[0].offset == shard.header_len
    for i, (r, p) in enumerate(zip(shard.records, pairs, strict=True)):
        assert (r.t, r.theta_left, r.phi_left, r.theta_right, r.phi_right) == (
            17, p.theta_left, p.phi_left, p.theta_right, p.phi_right)  # fmt: skip
        assert shard.payload_bytes(i) == p.payload
        assert shard.payload(i) == decode_payload(p.payload)
    assert shard.find(5) == 2 and shard.find(0) == 0
    # Bytes charged per image add up to the file size.
    assert sum(2 * shard.image_bytes(i) for i in range(3)) == pytest.approx(shard.size)
    assert shard.bpp(0) == pytest.approx(8 * shard.image_bytes(0) / (64 * 48))


def test_writer_is_atomic_and_leaves_no_temp(tmp_path):
    path = tmp_path / "s.fcnr"
    write_shard(path, HEADER, make_pairs(1))
    write_shard(path, HEADER, make_pairs(2))
    assert len(read_shard(path).records) == 2
    assert os.listdir(tmp_path) == ["s.fcnr"]


class CountingReads:
    """Counts the bytes read through ``open`` on one path (the real file is read)."""

    def __init__(self, monkeypatch, path):
        import builtins

        self.bytes = 0
        real_open = builtins.open
        counter = self

        class Wrapper:
            def __init__(self, handle):
                self.handle = handle

            def read(self, n=-1):
                data = self.handle.read(n)
                counter.bytes += len(data)
                return data

            def __getattr__(self, name):
                return getattr(self.handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

        def counting_open(file, *args, **kwargs):
            handle = real_open(file, *args, **kwargs)
            return Wrapper(handle) if os.fspath(file) == os.fspath(path) else handle

        monkeypatch.setattr(builtins, "open", counting_open)


def test_random_access_reads_only_the_header_and_one_record(shard_path, monkeypatch):
    counter = CountingReads(monkeypatch, shard_path)
    shard = read_shard(shard_path)
    assert counter.bytes == shard.header_len
    shard.payload_bytes(1)
    assert counter.bytes == shard.header_len + shard.records[1].length


def test_random_access_survives_another_corrupt_record(shard_path):
    shard = read_shard(shard_path)
    data = bytearray(shard_path.read_bytes())
    data[shard.records[0].offset + 3] ^= 0xFF
    shard_path.write_bytes(bytes(data))
    shard = read_shard(shard_path)
    assert shard.payload_bytes(2) == make_pairs()[2].payload
    with pytest.raises(FCNRError, match=r"record 0 \(t=17, views 0,1\): corrupt record"):
        shard.payload(0)


def error_of(path) -> str:
    with pytest.raises(FCNRError) as info:
        shard = read_shard(path)
        for i in range(len(shard.records)):
            shard.payload(i)
    message = str(info.value)
    assert str(path) in message
    return message


def test_truncated_anywhere_is_an_error_naming_the_record(shard_path):
    data = shard_path.read_bytes()
    shard = read_shard(shard_path)
    cuts = {
        0: "truncated header",
        5: "truncated header",
        shard.header_len - 1: "truncated header",
        shard.header_len: r"record 0 \(t=17, views 0,1\): truncated",
        shard.records[1].offset + 1: r"record 1 \(t=17, views 2,3\): truncated",
        len(data) - 1: r"record 2 \(t=17, views 4,5\): truncated",
    }
    for cut, expected in cuts.items():
        shard_path.write_bytes(data[:cut])
        assert re.search(expected, error_of(shard_path)), (cut, error_of(shard_path))


def test_trailing_bytes_are_an_error(shard_path):
    shard_path.write_bytes(shard_path.read_bytes() + b"junk")
    assert "4 unexpected bytes after the last record" in error_of(shard_path)


@pytest.mark.parametrize("where", ["model id", "index", "index crc field", "header crc"])
def test_flipped_header_or_index_byte_is_caught(shard_path, where):
    data = bytearray(shard_path.read_bytes())
    shard = read_shard(shard_path)
    index_start = shard.header_len - 4 - ENTRY * len(shard.records)
    position = {"model id": 20, "index": index_start + 9, "index crc field": index_start + ENTRY + ENTRY - 2,
                "header crc": shard.header_len - 2}[where]  # fmt: skip
    data[position] ^= 0x01
    shard_path.write_bytes(bytes(data))
    assert "corrupt header or index" in error_of(shard_path)


def test_flipped_record_byte_names_that_record(shard_path):
    data = bytearray(shard_path.read_bytes())
    r = read_shard(shard_path).records[1]
    data[r.offset + r.length - 1] ^= 0x80
    shard_path.write_bytes(bytes(data))
    assert "record 1 (t=17, views 2,3): corrupt record (CRC32" in error_of(shard_path)


def test_wrong_magic_and_version(shard_path):
    data = shard_path.read_bytes()
    shard_path.write_bytes(b"NOTASHRD" + data[8:])
    assert "not an FCNR shard" in error_of(shard_path)
    shard_path.write_bytes(data[:8] + struct.pack("<H", 99) + data[10:])
    assert "format version 99 is not supported" in error_of(shard_path)


def test_other_model_and_missing_view(shard_path):
    shard = read_shard(shard_path)
    shard.check_model(MODEL_ID)
    with pytest.raises(FCNRError, match="made by another model .*ffffffffffffffff"):
        shard.check_model("ffffffffffffffff")
    with pytest.raises(FCNRError, match=r"view 9 is not in this shard \(t=17, 6 views: 0..5\)") as info:
        shard.find(9)
    assert str(shard_path) in str(info.value)


def test_malformed_payload_behind_a_valid_crc_is_an_error(tmp_path):
    # A writer bug (payload that does not parse) must still give a clear error, not garbage.
    path = tmp_path / "bad.fcnr"
    bad = PairEntry(0, 1, 0.0, 0.0, 0.0, 0.0, encode_payload(b"abc", 5)[:3])
    path.write_bytes(pack_shard(HEADER, [bad]))
    with pytest.raises(FCNRError, match=r"record 0 \(t=17, views 0,1\): payload is malformed"):
        read_shard(path).payload(0)


def test_info_command(shard_path, capsys):
    assert main(["info", str(shard_path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model_id"] == MODEL_ID and info["records"] == 3 and info["images"] == 6
    assert info["bytes"] == os.path.getsize(shard_path)
    assert [(r["left"], r["right"]) for r in info["index"]] == [(0, 1), (2, 3), (4, 5)]
    assert main(["info", str(shard_path)]) == 0
    table = capsys.readouterr().out
    assert "model_id: 0123456789abcdef" in table and "\n   2    17     4     5" in table
    shard_path.write_bytes(shard_path.read_bytes()[:-1])
    assert main(["info", str(shard_path)]) == 2
    assert "record 2 (t=17, views 4,5): truncated" in capsys.readouterr().err
