"""Training an INR on every image it represents, resumable after a kill, then writing its bitstream.

The trajectory is a function of the seed and the epoch alone (weight initialisation, one seeded
data order per epoch, a learning rate that depends on the step only), and a checkpoint is written
after every epoch, so a run killed and resumed continues exactly as if it had not stopped.

Files in MODEL_DIR: ``checkpoints/epoch{E:05d}.safetensors`` (model, Adam moments) + ``.json``
(epoch, seconds, config, settings, Adam's scalar state; written last, it marks the checkpoint
complete), ``train_log.csv`` (epoch, step, loss, psnr, lr, seconds: one row per epoch, the PSNR
being the mean over the epoch's batches of the float network's output, the paper's Fig. 4), and
at the end ``config.json``, ``weights.safetensors`` (float32, encoder included) and
``train_summary.json``.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from tqdm import tqdm

from fcnr.codec.model_io import load_state, state_tensors
from fcnr.inr.bitstream import write_bitstream
from fcnr.inr.data import ImageSet
from fcnr.inr.losses import LOSSES
from fcnr.inr.models import build_model
from fcnr.inr.recipes import RECIPES
from fcnr.inr.run import LOG, LOG_COLUMNS
from fcnr.training.checkpoints import latest_checkpoint, restore, save_checkpoint
from fcnr.training.schedule import learning_rate
from render.basics.atomic import write_bytes, write_json, write_text
from render.basics.errors import FCNRError

CONFIG, WEIGHTS, SUMMARY = "config.json", "weights.safetensors", "train_summary.json"


@dataclass(frozen=True)
class INRSettings:
    """How long and where to train; ``epochs`` and ``seed`` fix the trajectory, ``minutes`` only caps it."""

    epochs: int
    minutes: float | None = None
    seed: int = 0
    device: str = "cpu"


class INRTrainer:
    """Trains the INR of ``config`` on ``images`` into ``out_dir``; ``run()`` resumes from its last checkpoint."""

    def __init__(self, images: ImageSet, config: dict[str, Any], settings: INRSettings, out_dir, progress=True):
        self.images, self.config, self.settings, self.progress = images, config, settings, progress
        self.out_dir = Path(out_dir)
        self.device = torch.device(settings.device)
        self.recipe = RECIPES[config["method"]]
        self.loss = LOSSES[self.recipe.loss]
        self.steps_per_epoch = math.ceil(len(images) / self.recipe.batch_size)
        self.total_steps = settings.epochs * self.steps_per_epoch
        torch.manual_seed(settings.seed)
        self.model = build_model(config).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.recipe.lr, betas=self.recipe.betas)
        self.seconds = 0.0

    def order(self, epoch: int) -> list[int]:
        """Returns the images of ``epoch`` in its seeded random order."""
        generator = torch.Generator().manual_seed(self.settings.seed * 100_003 + epoch)
        return torch.randperm(len(self.images), generator=generator).tolist()

    def trajectory(self) -> dict[str, Any]:
        """Returns what a checkpoint must match to be resumed: config, epochs, seed and recipe."""
        return {"config": self.config, "epochs": self.settings.epochs, "seed": self.settings.seed,
                "recipe": asdict(self.recipe), "images": len(self.images)}  # fmt: skip

    # ---- checkpoints -----------------------------------------------------------------------
    def checkpoint_dir(self) -> Path:
        return self.out_dir / "checkpoints"

    def save_checkpoint(self, epoch: int) -> None:
        """Writes the state after ``epoch`` epochs (``fcnr.training.checkpoints``)."""
        save_checkpoint(self.checkpoint_dir(), f"epoch{epoch:05d}", self.model, self.optimizer,
                        {"epoch": epoch, "seconds": self.seconds, "trajectory": self.trajectory()}, self.device)

    def resume(self) -> int:
        """Loads the newest complete checkpoint; returns its epoch (0 when there is none)."""
        found = latest_checkpoint(self.checkpoint_dir(), "epoch")
        if found is None:
            return 0
        if found.meta["trajectory"] != json.loads(json.dumps(self.trajectory())):
            raise FCNRError(f"{found.path}: the checkpoint was made with other settings ({found.meta['trajectory']}); "
                            f"delete {self.checkpoint_dir()} to start over or use another --out")  # fmt: skip
        restore(found, self.model, self.optimizer, self.device)
        self.seconds = found.meta["seconds"]
        return int(found.meta["epoch"])

    def open_log(self, start: int):
        """Returns the CSV log opened for appending, cut back to the rows of epochs <= ``start``."""
        path = self.out_dir / LOG
        rows = []
        if start and path.exists():
            with open(path, newline="") as handle:
                rows = [r for r in list(csv.reader(handle))[1:] if len(r) == len(LOG_COLUMNS) and int(r[0]) <= start]
        write_text(path, "".join(",".join(r) + "\n" for r in [list(LOG_COLUMNS), *rows]))
        return open(path, "a", newline="")

    # ---- the loop --------------------------------------------------------------------------
    def train_epoch(self, epoch: int, bar: tqdm) -> dict[str, float]:
        """Runs one epoch; returns its mean loss and PSNR and its last learning rate."""
        order, batch_size = self.order(epoch), self.recipe.batch_size
        losses, psnrs, lr = [], [], 0.0
        for b in range(self.steps_per_epoch):
            step = epoch * self.steps_per_epoch + b
            lr = learning_rate(step, self.total_steps, self.recipe.lr, "cosine",
                               round(self.recipe.warmup * self.total_steps), final_ratio=0.0)  # fmt: skip
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            images, params = self.images.batch(order[b * batch_size : (b + 1) * batch_size], self.device)
            out = self.model(images, params)
            loss = self.loss(out, images)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            mse = torch.mean((out.detach() - images) ** 2).item()
            losses.append(loss.item())
            psnrs.append(-10 * math.log10(max(mse, 1e-10)))
            if not math.isfinite(losses[-1]):
                raise FCNRError(f"{self.config['method']}: training diverged at step {step + 1} (loss {losses[-1]})")
            bar.set_postfix(loss=f"{losses[-1]:.4g}", psnr=f"{psnrs[-1]:.2f}", refresh=False)
            bar.update()
        return {"loss": sum(losses) / len(losses), "psnr": sum(psnrs) / len(psnrs), "lr": lr}

    def run(self) -> dict[str, Any]:
        """Trains for ``epochs`` epochs (or until ``minutes`` have passed), writes the model; returns the summary."""
        s = self.settings
        self.out_dir.mkdir(parents=True, exist_ok=True)
        start = self.resume()
        if start:
            print(f"resuming {self.out_dir} after epoch {start} of {s.epochs}", flush=True)
        epoch = start
        self.model.train()
        with self.open_log(start) as log, tqdm(total=self.total_steps, initial=start * self.steps_per_epoch,
                                               disable=not self.progress, desc=self.config["method"],
                                               unit="step") as bar:  # fmt: skip
            writer = csv.writer(log)
            while epoch < s.epochs and (s.minutes is None or self.seconds < 60 * s.minutes):
                tic = time.perf_counter()
                values = self.train_epoch(epoch, bar)
                self.seconds += time.perf_counter() - tic
                epoch += 1
                writer.writerow([epoch, epoch * self.steps_per_epoch, f"{values['loss']:.6g}", f"{values['psnr']:.4f}",
                                 f"{values['lr']:.6g}", f"{self.seconds:.3f}"])  # fmt: skip
                log.flush()
                self.save_checkpoint(epoch)
        self.model.eval()
        write_bytes(self.out_dir / WEIGHTS, save_safetensors(state_tensors(self.model)))
        write_json(self.out_dir / CONFIG, self.config)
        summary = {"seconds": self.seconds, "epochs": epoch, "epochs_planned": s.epochs,
                   "steps": epoch * self.steps_per_epoch, "stopped_by_minutes": epoch < s.epochs,
                   "images": len(self.images), "recipe": asdict(self.recipe),
                   "parameters": sum(p.numel() for p in self.model.parameters())}  # fmt: skip
        write_json(self.out_dir / SUMMARY, summary)
        return summary


def load_trained(model_dir: str | Path, device: torch.device | str = "cpu"):
    """Returns the float model a training wrote to ``model_dir`` (encoder included), in eval mode."""
    model_dir = Path(model_dir)
    try:
        config = json.loads((model_dir / CONFIG).read_text())
        tensors = load_safetensors((model_dir / WEIGHTS).read_bytes())
    except (OSError, ValueError) as exc:
        raise FCNRError(f"{model_dir}: cannot read the trained INR ({exc}); train it first") from exc
    model = build_model(config)
    load_state(model, tensors, model_dir / WEIGHTS)
    return model.to(device).eval()


@torch.no_grad()
def encode(model_dir: str | Path, images: ImageSet, out: str | Path, device: torch.device | str = "cpu") -> dict:
    """Writes the bitstream of the INR trained in ``model_dir`` to ``out``; returns its size figures and seconds.

    HNeRV's embeddings are the trained encoder's output for every image, in the set's order.
    """
    tic = time.perf_counter()
    model = load_trained(model_dir, device)
    embeddings = None
    if model.embeds:
        embeddings = torch.cat([model.codes(*images.batch(list(range(i, min(i + 16, len(images)))), device)).cpu()
                                for i in range(0, len(images), 16)])  # fmt: skip
    info = write_bitstream(out, model.cpu(), images.timesteps, images.angles(), embeddings)
    return info | {"seconds": time.perf_counter() - tic}
