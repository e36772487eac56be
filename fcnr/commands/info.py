"""``fcnr info``: print a shard's header and index (reads no payload)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the info options to ``parser``."""
    parser.add_argument("shard", metavar="SHARD", help="shard written by fcnr compress")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def shard_info(path: str) -> dict:
    """Returns a shard's header, index and sizes as a JSON-ready dict."""
    from dataclasses import asdict

    from fcnr.codec.shard import VERSION, read_shard

    shard = read_shard(path)
    h = shard.header
    n_images = 2 * len(shard.records)
    records = [asdict(r) | {"crc": f"{r.crc:08x}", "image_bytes": shard.image_bytes(i), "bpp": shard.bpp(i)}
               for i, r in enumerate(shard.records)]  # fmt: skip
    return {
        "path": str(shard.path), "version": VERSION, "model_id": h.model_id, "height": h.height,
        "width": h.width, "timestep": h.timestep, "records": len(shard.records), "images": n_images,
        "header_bytes": shard.header_len, "bytes": shard.size,
        "bpp": 8 * shard.size / (n_images * h.height * h.width) if n_images else None, "index": records,
    }  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Prints the shard's header and index; returns 0."""
    import json

    info = shard_info(args.shard)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for key in ("path", "version", "model_id", "height", "width", "timestep", "records", "images",
                "header_bytes", "bytes", "bpp"):  # fmt: skip
        value = info[key]
        print(f"{key:>12}: {value:.6f}" if isinstance(value, float) else f"{key:>12}: {value}")
    print(f"\n{'#':>4} {'t':>5} {'left':>5} {'right':>5} {'offset':>10} {'length':>8} {'crc32':>8} {'bpp':>9}")
    for i, r in enumerate(info["index"]):
        print(f"{i:>4} {r['t']:>5} {r['left']:>5} {r['right']:>5} {r['offset']:>10} {r['length']:>8} "
              f"{r['crc']:>8} {r['bpp']:>9.5f}")  # fmt: skip
    return 0
