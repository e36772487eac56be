"""``fcnr compress``: encode every view pair of one timestep into a shard."""

from __future__ import annotations

import argparse

from fcnr.devices import add_device_argument, resolve_device

HELP = "Compress one timestep's images into a shard."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the compress options to ``parser``."""
    parser.add_argument("images_dir", metavar="IMAGES_DIR", help="one timestep's folder of v{view:04d}.png")
    parser.add_argument("--model", required=True, help="model directory (config.json, weights.safetensors)")
    parser.add_argument("--views", required=True, help="views CSV (fcnr views); rows 2j, 2j+1 form pair j")
    parser.add_argument("--timestep", type=int, required=True, help="the images' timestep number t")
    parser.add_argument("--out", required=True, help="shard file to write (atomically)")
    parser.add_argument("--timing-json", help="also write the timing and size as JSON here")
    add_device_argument(parser, "encode on")


def run(args: argparse.Namespace) -> int:
    """Writes the shard and prints its size, bits per pixel and encoding speed; returns 0."""
    from fcnr.atomic import write_json
    from fcnr.codec.coding import Timer, compress_timestep
    from fcnr.codec.model_io import load_model, model_id
    from fcnr.codec.shard import write_shard
    from render.views import read_views

    views = read_views(args.views)
    model = load_model(args.model, device=resolve_device(args.device))
    timer = Timer()
    header, pairs = compress_timestep(args.images_dir, model, model_id(args.model), views, args.timestep, timer)
    size = write_shard(args.out, header, pairs)
    timing = timer.as_dict() | {"bytes": size, "bpp": 8 * size / (timer.images * header.height * header.width)}
    print(f"{args.out}: {timer.images} images ({len(pairs)} pairs) of {header.width}x{header.height}, "
          f"{size} bytes, {timing['bpp']:.5f} bpp; encoded in {timer.seconds:.2f} s "
          f"({timing['images_per_second']:.2f} images/s) + {timer.io_seconds:.2f} s reading images")  # fmt: skip
    if args.timing_json:
        write_json(args.timing_json, timing)
    return 0
