"""``fcnr decompress``: decode a shard's images (several shards: one model load), or only one view's pair."""

from __future__ import annotations

import argparse

from fcnr.devices import add_device_argument, resolve_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the decompress options to ``parser``."""
    parser.add_argument("shard", metavar="SHARD", nargs="+", help="shard(s) written by fcnr compress")
    parser.add_argument("--model", required=True, help="the model directory that compressed the shards")
    parser.add_argument("--out", nargs="+", required=True, help="each shard's folder to write v{view:04d}.png into")
    parser.add_argument("--view", type=int, help="decode only this view of the one shard (reads only its pair's record)")
    parser.add_argument("--timing-json", nargs="+", help="also write each shard's decoding time as JSON here")
    add_device_argument(parser, "decode on")
    parser.add_argument("--synthesis", default=None,
                        help="how g_s runs: auto (default, or $FCNR_SYNTHESIS; auto is fast-fp32), "
                             "reference (float32 NCHW as trained), fast-fp32, fast-bf16")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Writes the decoded PNGs and prints the decoding speed; returns 0."""
    from fcnr.codec.model_files import model_id
    from fcnr.codec.model_io import load_model
    from fcnr.codec.shard import read_shard
    from fcnr.codec.synthesis import resolve_path
    from fcnr.commands.lists import parallel_lists
    from render.basics.errors import FCNRError

    try:
        resolve_path(args.synthesis)  # a bad --synthesis or $FCNR_SYNTHESIS is refused before any file is read
    except ValueError as exc:
        raise FCNRError(str(exc)) from exc
    jobs = parallel_lists(("SHARD", args.shard), ("--out", args.out), ("--timing-json", args.timing_json))
    if args.view is not None and len(jobs) > 1:
        raise FCNRError(f"--view: decodes one view of one shard; got {len(jobs)} shards")
    mid = model_id(args.model)
    shards = [read_shard(path) for path, _, _ in jobs]
    for shard in shards:
        shard.check_model(mid)
        if args.view is not None:
            shard.find(args.view)
    model = load_model(args.model, device=resolve_device(args.device), synthesis=args.synthesis)
    for shard, (_, out, timing_json) in zip(shards, jobs):
        _decode(shard, model, mid, out, timing_json, args.view)
    return 0


def _decode(shard, model, mid: str, out: str, timing_json: str | None, view: int | None) -> None:
    """Writes one shard's decoded PNGs (or only ``view``'s) into ``out``, and its timing JSON if asked."""
    from pathlib import Path

    import torch

    from fcnr.codec.coding import Timer, decode_all, decode_view
    from fcnr.images import ImageWriter, image_path
    from render.basics.atomic import write_json

    timer = Timer()
    if view is not None:
        decoded = iter([(view, decode_view(shard, view, model, mid, timer))])
    else:
        decoded = decode_all(shard, model, mid, timer)
    written = 0
    with ImageWriter(torch.get_num_threads()) as writer:  # PNGs written while the next pair decodes
        for v, image in decoded:
            writer.write(image_path(out, v), image)
            written += 1
    timer.io_seconds += writer.blocked_seconds
    timing = {**timer.as_dict(), "synthesis": model.synthesis().path}
    print(f"{Path(out)}: wrote {written} image(s); decoded {timer.images} in {timer.seconds:.2f} s "
          f"({timing['images_per_second']:.2f} images/s) + {timer.io_seconds:.2f} s waiting for PNG writes")  # fmt: skip
    if timing_json:
        write_json(timing_json, timing)
