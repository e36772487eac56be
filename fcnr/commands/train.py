"""``fcnr train``: train an FCNR model on rendered image pairs (resumes a killed run)."""

from __future__ import annotations

import argparse

from fcnr.codec.variants import CONTEXTS, VARIANTS
from fcnr.devices import add_device_argument, resolve_device
from fcnr.schemas import MODEL_SCHEMA, model_default
from render.basics.errors import FCNRError
from render.basics.schema import load_yaml, validate

# option dest -> config key
OPTIONS = {"variant": "variant", "context": "context", "N": "N", "M": "M", "heads": "heads", "lmbda": "lambda", "lr": "lr",
           "lr_schedule": "lr_schedule", "warmup": "warmup", "epochs": "epochs", "batch_size": "batch_size",
           "crop": "crop", "checkpoint_every": "checkpoint_every", "seed": "seed", "precision": "precision",
           "init": "init"}  # fmt: skip


def with_default(text: str, key: str) -> str:
    """Returns an option's help: ``text`` and the model schema's default of ``key``."""
    return f"{text} (default {model_default(key)})"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the training options to ``parser`` (defaults come from the model schema)."""
    parser.add_argument("images_roots", nargs="+", metavar="IMAGES_ROOT",
                        help="folder(s) with t{t:04d}/v{view:04d}.png; several train one model on all of them")
    parser.add_argument("--views", required=True, nargs="+",
                        help="views CSV (index,theta,phi,x,y,z): one for all images roots or one per root")
    parser.add_argument("--split", required=True, nargs="+",
                        help="split CSV (t,view,split), one for all roots or one per root; pairs with both "
                             "images 'train' are used")  # fmt: skip
    parser.add_argument("--out", required=True, help="model directory to write (and resume from)")
    parser.add_argument("--config", help="YAML with model and training settings (fcnr/schemas/model.schema.yaml)")
    parser.add_argument("--variant", choices=list(VARIANTS))
    parser.add_argument("--context", choices=list(CONTEXTS),
                        help=with_default("entropy context: " + "; ".join(f"{k}: {v}" for k, v in CONTEXTS.items()),
                                          "context"))  # fmt: skip
    parser.add_argument("--N", type=int, help=with_default("transform channels", "N"))
    parser.add_argument("--M", type=int, help=with_default("latent channels", "M"))
    parser.add_argument("--heads", type=int, help=with_default("attention heads", "heads"))
    parser.add_argument("--lambda", dest="lmbda", type=float, help=with_default("rate-distortion weight", "lambda"))
    parser.add_argument("--lr", type=float, help=with_default("Adam learning rate", "lr"))
    parser.add_argument("--lr-schedule", choices=["cosine", "constant"],
                        help="cosine: warmup, then down to 1/20 of --lr (default); constant: the paper's")
    parser.add_argument("--warmup", type=float, help=with_default("warmup as a fraction of the run's steps", "warmup"))
    parser.add_argument("--epochs", type=int, help=with_default("epochs", "epochs"))
    parser.add_argument("--batch-size", type=int, help=with_default("pairs per step", "batch_size"))
    parser.add_argument("--crop", type=int,
                        help="train on random windows of at most this side, the same for both images; "
                             "smaller images are used whole (default: whole images)")  # fmt: skip
    parser.add_argument("--checkpoint-every", type=int, help=with_default("steps between checkpoints", "checkpoint_every"))
    parser.add_argument("--max-steps", type=int, help="stop after this many steps in total")
    parser.add_argument("--seed", type=int, help=with_default("random seed", "seed"))
    parser.add_argument("--init", metavar="MODEL_DIR",
                        help="warm start from this trained model: every tensor of the same name and shape")
    add_device_argument(parser, "train on")
    parser.add_argument("--precision", choices=["fp32", "bf16"], help="fp32 (default) or bf16 autocast on CUDA")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_options() -> dict[str, str]:
    """Returns {config key: option} of every option of ``fcnr train``, in its parser's order (the workflow's flags)."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return {OPTIONS.get(action.dest, action.dest): action.option_strings[-1]
            for action in parser._actions if action.option_strings}  # fmt: skip


def settings_from(args: argparse.Namespace) -> dict:
    """Returns the validated config: schema defaults < --config file < command-line options."""
    from fcnr.baselines.schemas import load_schema

    config = (load_yaml(args.config) or {}) if args.config else {}
    if not isinstance(config, dict):
        raise FCNRError(f"{args.config}: expected a mapping of settings")
    for dest, key in OPTIONS.items():
        if getattr(args, dest) is not None:
            config[key] = getattr(args, dest)
    return validate(config, load_schema(MODEL_SCHEMA), args.config or "command line")


def run(args: argparse.Namespace) -> int:
    """Trains (or resumes) the model; prints where it went and how long it took; returns 0."""
    from fcnr.codec.model import ARCHITECTURE
    from fcnr.training.data import source_datasets
    from fcnr.training.train import Trainer, TrainSettings

    config = settings_from(args)
    if args.max_steps is not None and args.max_steps < 1:
        raise FCNRError(f"--max-steps must be at least 1, got {args.max_steps}")
    sources = source_datasets(args.images_roots, args.views, args.split)
    settings = TrainSettings(
        lmbda=config["lambda"], lr=config["lr"], lr_schedule=config["lr_schedule"], warmup=config["warmup"],
        epochs=config["epochs"], batch_size=config["batch_size"], crop=config["crop"],
        checkpoint_every=config["checkpoint_every"], max_steps=args.max_steps, seed=config["seed"],
        device=str(resolve_device(args.device)), precision=config["precision"], init=config["init"],
    )  # fmt: skip
    trainer = Trainer(sources, {k: config[k] for k in ARCHITECTURE}, settings, args.out, progress=not args.no_progress)
    summary = trainer.run()
    start = f" from {summary['init']['path']}" if summary["init"] else ""
    print(f"trained {config['variant']}{start} on {len(trainer.dataset)} pairs for {summary['steps']} steps "
          f"({summary['seconds']:.1f} s) into {args.out}")  # fmt: skip
    return 0
