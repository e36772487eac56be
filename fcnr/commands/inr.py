"""``fcnr inr``: the INR baselines (E-NeRV, HNeRV, NeRVI-like): train, decode, score, inspect.

``fcnr inr train`` trains one method at one parameter budget on every view of some timesteps
(resuming a killed run) and writes its bitstream; ``fcnr inr decode`` decodes images from the
bitstream file alone; ``fcnr inr evaluate`` scores the decoded images and sums up the timing;
``fcnr inr info`` prints a bitstream's header. Run folders: :mod:`fcnr.inr.run`.
"""

from __future__ import annotations

import argparse

from fcnr.commands.scoring import add_metric_switches, scorer
from fcnr.devices import add_device_argument, resolve_device


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``train``, ``decode``, ``evaluate`` and ``info`` steps and their options to ``parser``."""
    from fcnr.inr import METHODS

    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    train = steps.add_parser("train", help="train one INR and write its bitstream",
                             description="Train an INR on every view of the timesteps; write RUN/bitstream.inr.")
    train.add_argument("images_root", metavar="IMAGES_ROOT", help="folder of t{t:04d}/v{view:04d}.png")
    train.add_argument("--views", required=True, help="views CSV (fcnr views)")
    train.add_argument("--timesteps", type=int, nargs="+", required=True, help="the timesteps it represents")
    train.add_argument("--method", required=True, choices=METHODS, help="enerv, hnerv or nervi (NeRVI-like)")
    train.add_argument("--size", type=int, required=True,
                       help="parameter budget: stored parameters (+ HNeRV's embedding values)")
    train.add_argument("--epochs", type=int, required=True, help="epochs: the length of the warmup-cosine schedule")
    train.add_argument("--minutes", type=float, help="stop after the epoch in which this much training time passed")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--out", required=True, help="run folder to write (and resume from)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_device_argument(train, "train on")

    decode = steps.add_parser("decode", help="decode images from a bitstream alone",
                              description="Decode images from an INR bitstream file alone.")  # fmt: skip
    decode.add_argument("bitstream", metavar="BITSTREAM", help="a file written by fcnr inr train")
    decode.add_argument("--views", required=True, help="views CSV the INR was trained with (the query angles)")
    decode.add_argument("--out", required=True, help="folder to write t{t:04d}/v{view:04d}.png into")
    decode.add_argument("--timestep", type=int, help="decode only this timestep (with --view: one image)")
    decode.add_argument("--view", type=int, help="decode only this view")
    decode.add_argument("--timing-json", help="write the load and decoding times here")
    add_device_argument(decode, "decode on")

    evaluate = steps.add_parser("evaluate", help="score a run's decoded images; sum up its timing",
                                description="Score RUN/decoded: write RUN/metrics.csv and RUN/timing.json.")
    evaluate.add_argument("run_dir", metavar="RUN", help="run folder (fcnr inr train, then decode into RUN/decoded)")
    evaluate.add_argument("--images", required=True, help="ground-truth root of t{t:04d}/ folders")
    evaluate.add_argument("--views", required=True, help="views CSV")
    evaluate.add_argument("--split", required=True, help="split CSV (t,view,split): the split column of the rows")
    add_metric_switches(evaluate)

    info = steps.add_parser("info", help="print a bitstream's header and sizes",
                            description="Print an INR bitstream's header and sizes.")  # fmt: skip
    info.add_argument("bitstream", metavar="BITSTREAM", help="a file written by fcnr inr train")


def run(args: argparse.Namespace) -> int:
    """Runs the chosen step; returns 0."""
    return {"train": _train, "decode": _decode, "evaluate": _evaluate, "info": _info}[args.step](args)


def _train(args: argparse.Namespace) -> int:
    from fcnr.inr.data import image_set
    from fcnr.inr.models import sized_config
    from fcnr.inr.run import RunDir
    from fcnr.inr.train import INRSettings, INRTrainer, encode
    from render.basics.atomic import write_json
    from render.basics.errors import FCNRError

    if args.epochs < 1 or (args.minutes is not None and args.minutes <= 0):
        raise FCNRError(f"--epochs must be at least 1 and --minutes positive, got {args.epochs} and {args.minutes}")
    device = resolve_device(args.device)
    images = image_set(args.images_root, args.timesteps, args.views)
    height, width = images.image(0).shape[:2]
    config = sized_config(args.method, args.size, height, width, len(images))
    run = RunDir(args.out)
    settings = INRSettings(args.epochs, args.minutes, args.seed, str(device))
    summary = INRTrainer(images, config, settings, run.model, progress=not args.no_progress).run()
    info = encode(run.model, images, run.bitstream, device)
    write_json(run.encode_json, info)
    print(f"{args.method} (width {config['width']}) on {len(images)} images: {summary['epochs']} epochs in "
          f"{summary['seconds']:.1f} s; {run.bitstream}: {info['bytes']:,} bytes, "
          f"{8 * info['bytes'] / (len(images) * height * width):.5f} bpp")  # fmt: skip
    return 0


def _decode(args: argparse.Namespace) -> int:
    from fcnr.inr.data import view_angles
    from fcnr.inr.decode import decode_images
    from fcnr.inr.header import read_header
    from render.basics.atomic import write_json
    from render.basics.errors import FCNRError
    from render.views import read_views

    angles = view_angles(read_views(args.views))
    wanted = None
    if args.timestep is not None or args.view is not None:
        held = read_header(args.bitstream).images
        wanted = [(t, v) for t, v in held if args.timestep in (None, t) and args.view in (None, v)]
        if not wanted:
            raise FCNRError(f"{args.bitstream}: no image with timestep {args.timestep} and view {args.view}")
    timing = decode_images(args.bitstream, angles, args.views, args.out, wanted, resolve_device(args.device))
    if args.timing_json:
        write_json(args.timing_json, timing)
    print(f"{args.bitstream}: loaded in {timing['load_seconds']:.3f} s, decoded {timing['images']} images in "
          f"{timing['decode_seconds']:.2f} s into {args.out}")  # fmt: skip
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from fcnr.evaluation.evaluate import mean_metrics, write_metrics_csv
    from fcnr.inr.run import RunDir, score, timing
    from fcnr.training.split import read_split
    from render.basics.atomic import write_json
    from render.views import read_views

    metrics, status = scorer(args)
    run = RunDir(args.run_dir)
    rows = score(run, args.images, read_views(args.views), read_split(args.split), metrics)
    times = timing(run)
    write_metrics_csv(run.metrics, rows)
    write_json(run.timing, times | {"lpips": status})
    means = mean_metrics(rows)
    flip = "off" if means["flip"] is None else f"{means['flip']:.4f}"
    print(f"{run.root}: {len(rows)} images, PSNR {means['psnr']:.2f} dB, MS-SSIM {means['msssim']:.4f}, "
          f"FLIP {flip}, {means['bpp']:.5f} bpp; ET {times['et_hours']:.4f} h, "
          f"DT {times['dt_seconds']:.2f} s")  # fmt: skip
    return 0


def _info(args: argparse.Namespace) -> int:
    import json

    from fcnr.inr.bitstream import read_bitstream

    b = read_bitstream(args.bitstream)
    parameters = sum(t.numel() for t in b.state.values())
    print(json.dumps({"path": str(b.path), "bytes": b.size, "bpp": b.bpp(), "config": b.config,
                      "timesteps": b.timesteps, "views": b.views, "images": len(b.images), "parameters": parameters,
                      "embedding_values": 0 if b.embeddings is None else b.embeddings.numel()}, indent=2))  # fmt: skip
    return 0
