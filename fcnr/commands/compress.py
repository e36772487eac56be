"""``fcnr compress``: encode every view pair of a timestep into a shard (several timesteps: one model load)."""

from __future__ import annotations

import argparse

from fcnr.devices import add_device_argument, resolve_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the compress options to ``parser``."""
    parser.add_argument("images_dir", metavar="IMAGES_DIR", nargs="+",
                        help="a timestep's folder of v{view:04d}.png (several: one shard each)")  # fmt: skip
    parser.add_argument("--model", required=True, help="model directory (config.json, weights.safetensors)")
    parser.add_argument("--views", required=True, help="views CSV (fcnr views); rows 2j, 2j+1 form pair j")
    parser.add_argument("--timestep", type=int, nargs="+", required=True, help="each folder's timestep number t")
    parser.add_argument("--out", nargs="+", required=True, help="each folder's shard file to write (atomically)")
    parser.add_argument("--timing-json", nargs="+", help="also write each shard's timing and size as JSON here")
    add_device_argument(parser, "encode on")


def run(args: argparse.Namespace) -> int:
    """Writes the shards and prints their size, bits per pixel and encoding speed; returns 0."""
    from fcnr.codec.coding import Timer, compress_timestep
    from fcnr.codec.model_files import model_id
    from fcnr.codec.model_io import load_model
    from fcnr.codec.shard import write_shard
    from fcnr.commands.lists import parallel_lists
    from render.basics.atomic import write_json
    from render.views import read_views

    jobs = parallel_lists(("IMAGES_DIR", args.images_dir), ("--timestep", args.timestep), ("--out", args.out),
                          ("--timing-json", args.timing_json))  # fmt: skip
    views = read_views(args.views)
    model = load_model(args.model, device=resolve_device(args.device))
    mid = model_id(args.model)
    for images_dir, t, out, timing_json in jobs:
        timer = Timer()
        header, pairs = compress_timestep(images_dir, model, mid, views, t, timer)
        size = write_shard(out, header, pairs)
        timing = timer.as_dict() | {"bytes": size, "bpp": 8 * size / (timer.images * header.height * header.width)}
        print(f"{out}: {timer.images} images ({len(pairs)} pairs) of {header.width}x{header.height}, "
              f"{size} bytes, {timing['bpp']:.5f} bpp; encoded in {timer.seconds:.2f} s "
              f"({timing['images_per_second']:.2f} images/s) + {timer.io_seconds:.2f} s reading images")  # fmt: skip
        if timing_json:
            write_json(timing_json, timing)
    return 0
