"""``fcnr decompress``: decode a shard's images, or only one view's pair."""

from __future__ import annotations

import argparse

from fcnr.devices import add_device_argument, resolve_device

HELP = "Decode a shard (all images, or one view)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the decompress options to ``parser``."""
    parser.add_argument("shard", metavar="SHARD", help="shard written by fcnr compress")
    parser.add_argument("--model", required=True, help="the model directory that compressed the shard")
    parser.add_argument("--out", required=True, help="folder to write v{view:04d}.png into")
    parser.add_argument("--view", type=int, help="decode only this view (reads only its pair's record)")
    parser.add_argument("--timing-json", help="also write the decoding time as JSON here")
    add_device_argument(parser, "decode on")


def run(args: argparse.Namespace) -> int:
    """Writes the decoded PNGs and prints the decoding speed; returns 0."""
    import time
    from pathlib import Path

    from fcnr.atomic import write_json
    from fcnr.codec.coding import Timer, decode_all, decode_view
    from fcnr.codec.model_io import load_model, model_id
    from fcnr.codec.shard import read_shard
    from fcnr.images import image_path, write_image

    shard = read_shard(args.shard)
    mid = model_id(args.model)
    shard.check_model(mid)
    if args.view is not None:
        shard.find(args.view)
    model = load_model(args.model, device=resolve_device(args.device))
    timer = Timer()
    if args.view is not None:
        decoded = iter([(args.view, decode_view(shard, args.view, model, mid, timer))])
    else:
        decoded = decode_all(shard, model, mid, timer)
    written = 0
    for view, image in decoded:
        start = time.perf_counter()
        write_image(image_path(args.out, view), image)
        timer.io_seconds += time.perf_counter() - start
        written += 1
    timing = timer.as_dict()
    print(f"{Path(args.out)}: wrote {written} image(s); decoded {timer.images} in {timer.seconds:.2f} s "
          f"({timing['images_per_second']:.2f} images/s) + {timer.io_seconds:.2f} s writing PNGs")  # fmt: skip
    if args.timing_json:
        write_json(args.timing_json, timing)
    return 0
