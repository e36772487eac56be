"""Training FCNR: rate-distortion loss (Eq. 13-15), resumable checkpoints, training curve.

Everything that decides the trajectory is a function of the seed and the step number (weight
initialisation, data order per epoch, crops per step; the noise RNG state is checkpointed), so a
run killed and resumed from its last checkpoint continues exactly as if it had not stopped.

Files in MODEL_DIR: ``checkpoints/step{N:08d}.safetensors`` (model, Adam moments and RNG state as
tensors) + ``.json`` (step, seconds, settings, Adam's scalar state), ``train_log.csv``
(step,epoch,loss,bpp,psnr,lr,seconds), and at the end ``config.json``, ``weights.safetensors`` and
``train_summary.json`` (steps, seconds, the training sources and the warm start, if any).

Optimisation follows the reference code (mikelovesolivia/FCNR ``train.py``): Adam (0.9, 0.999),
gradient norm clipped at 2.5, fp32 (bf16 autocast on CUDA only when asked for), plus a learning-rate
schedule (``fcnr.training.schedule``) so a run of a fixed budget converges. The reference's
``lmda = 0.01`` weighs the MSE on 0-255 averaged over the two views against the bits per pixel:
0.01 * (MSE_l + MSE_r) / 2 * 255^2 = lambda * (MSE_l + MSE_r) gives lambda = 0.01 * 255^2 / 2 = 325.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import time
from pathlib import Path

import torch
from tqdm import tqdm

from fcnr.codec.model import FCNRModel, build_model
from fcnr.codec.model_io import save_model
from fcnr.training.checkpoints import latest_checkpoint, restore, save_checkpoint
from fcnr.training.data import PairDataset, crop_window, random_crop
from fcnr.training.schedule import learning_rate
from fcnr.training.warm_start import warm_start
from render.basics.atomic import write_json, write_text
from render.basics.errors import FCNRError

LOG_COLUMNS = ("step", "epoch", "loss", "bpp", "psnr", "lr", "seconds")
CLIP_NORM = 2.5  # the reference code's gradient clipping
PRECISIONS = ("fp32", "bf16")


@dataclasses.dataclass
class TrainSettings:
    """Optimisation settings; those in ``TRAJECTORY`` must match to resume a run."""

    lmbda: float = 1000.0
    lr: float = 1e-4
    lr_schedule: str = "cosine"
    warmup: float = 0.05  # fraction of the run's steps
    epochs: int = 1
    batch_size: int = 1
    crop: int | None = None
    checkpoint_every: int = 500
    max_steps: int | None = None
    seed: int = 0
    device: str = "cpu"
    precision: str = "fp32"  # bf16: autocast on CUDA (the CPU always trains in fp32)
    init: str | None = None  # warm start from this model directory


TRAJECTORY = ("lmbda", "lr", "lr_schedule", "warmup", "batch_size", "crop", "seed", "precision")


def rd_loss(out: dict, x_l: torch.Tensor, x_r: torch.Tensor, lmbda: float) -> dict[str, torch.Tensor]:
    """Returns {"loss", "bpp", "mse", "psnr"}: loss = R + lambda * (MSE(x_l) + MSE(x_r)) (Eq. 13-15).

    R is the bits of all four latents per pixel of the pair; MSE on images in [0, 1].
    """
    pixels = 2 * x_l.shape[0] * x_l.shape[-2] * x_l.shape[-1]
    bits = sum(torch.log2(lik).sum() for lik in out["likelihoods"].values())
    bpp = -bits / pixels
    x_l_hat, x_r_hat = (x.float() for x in out["x_hat"])
    mse_l, mse_r = torch.mean((x_l_hat - x_l) ** 2), torch.mean((x_r_hat - x_r) ** 2)
    mse = (mse_l + mse_r) / 2
    return {"loss": bpp + lmbda * (mse_l + mse_r), "bpp": bpp, "mse": mse,
            "psnr": -10 * torch.log10(mse.detach().clamp_min(1e-10))}  # fmt: skip


class Trainer:
    """Trains one model into ``out_dir``; ``run()`` resumes from the newest checkpoint there."""

    def __init__(self, sources: list[PairDataset], model_config: dict, settings: TrainSettings, out_dir,
                 progress=True):  # fmt: skip
        if settings.precision not in PRECISIONS:
            raise FCNRError(f"precision {settings.precision!r}: use one of {', '.join(PRECISIONS)}")
        self.sources, self.settings, self.progress = sources, settings, progress
        self.dataset = torch.utils.data.ConcatDataset(sources)
        self.out_dir = Path(out_dir)
        self.device = torch.device(settings.device)
        # Each source normalises t by its own range; the model keeps the first's (one source: its own).
        self.model_config = {**model_config, "t_range": list(sources[0].t_range)}
        self.steps_per_epoch = math.ceil(len(self.dataset) / settings.batch_size)
        total = settings.epochs * self.steps_per_epoch
        self.total_steps = total if settings.max_steps is None else min(total, settings.max_steps)
        torch.manual_seed(settings.seed)
        try:
            self.model: FCNRModel = build_model(self.model_config).to(self.device)
        except ValueError as exc:
            raise FCNRError(f"model config: {exc}") from exc
        self.init = warm_start(self.model, settings.init) if settings.init else None
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=settings.lr, betas=(0.9, 0.999))
        self.seconds = 0.0

    def trajectory(self) -> dict:
        """Returns what must match for a checkpoint to be resumed: the settings and the warm start's model."""
        return {**{k: getattr(self.settings, k) for k in TRAJECTORY}, "init": self.init and self.init["model_id"]}

    def lr_at(self, step: int) -> float:
        """Returns the learning rate of (0-based) ``step``."""
        s = self.settings
        return learning_rate(step, self.total_steps, s.lr, s.lr_schedule, round(s.warmup * self.total_steps))

    # ---- data ------------------------------------------------------------------------------
    def batch(self, step: int) -> list[torch.Tensor]:
        """Returns (x_l, x_r, p_l, p_r) batched for ``step``: epoch-seeded order, step-seeded crops."""
        s = self.settings
        epoch, index = divmod(step, self.steps_per_epoch)
        order = torch.randperm(len(self.dataset), generator=torch.Generator().manual_seed(s.seed * 100_003 + epoch))
        crops = torch.Generator().manual_seed(s.seed * 1_000_003 + step)
        items = []
        for i in order[index * s.batch_size : (index + 1) * s.batch_size].tolist():
            x_l, x_r, p_l, p_r = self.dataset[i]
            if s.crop:
                x_l, x_r = random_crop([x_l, x_r], s.crop, crops)
            items.append((x_l, x_r, p_l, p_r))
        return [torch.stack(column).to(self.device) for column in zip(*items)]

    def describe(self, source: PairDataset) -> dict:
        """Returns a source as the summary lists it, with its image size and the window a step sees of it."""
        height, width = source[0][0].shape[-2:]
        return {"images": str(source.root), "pairs": len(source), "t_range": list(source.t_range),
                "image_size": [height, width], "window": list(crop_window(height, width, self.settings.crop))}  # fmt: skip

    # ---- checkpoints -----------------------------------------------------------------------
    def checkpoint_dir(self) -> Path:
        return self.out_dir / "checkpoints"

    def save_checkpoint(self, step: int) -> None:
        """Writes the state after ``step`` steps (``fcnr.training.checkpoints``)."""
        save_checkpoint(self.checkpoint_dir(), f"step{step:08d}", self.model, self.optimizer,
                        {"step": step, "seconds": self.seconds, "model_config": self.model_config,
                         "settings": self.trajectory()}, self.device)  # fmt: skip

    def resume(self) -> int:
        """Loads the newest complete checkpoint; returns its step (0 when there is none)."""
        found = latest_checkpoint(self.checkpoint_dir(), "step")
        if found is None:
            return 0
        meta = found.meta
        if meta["model_config"] != self.model_config or meta["settings"] != self.trajectory():
            raise FCNRError(f"{found.path}: the checkpoint was made with other settings "
                            f"({meta['model_config']}, {meta['settings']}); delete {self.checkpoint_dir()} "
                            "to start over or use another --out")  # fmt: skip
        restore(found, self.model, self.optimizer, self.device)
        self.seconds = meta["seconds"]
        return int(meta["step"])

    # ---- training curve --------------------------------------------------------------------
    def open_log(self, start: int):
        """Returns the CSV log opened for appending, cut back to rows of steps <= ``start``."""
        path = self.out_dir / "train_log.csv"
        rows = []
        if start and path.exists():
            with open(path, newline="") as handle:
                rows = [r for r in csv.reader(handle)][1:]
            rows = [r for r in rows if len(r) == len(LOG_COLUMNS) and r[0].isdigit() and int(r[0]) <= start]
        write_text(path, "".join(",".join(r) + "\n" for r in [list(LOG_COLUMNS), *rows]))
        return open(path, "a", newline="")

    # ---- the loop --------------------------------------------------------------------------
    def run(self) -> dict:
        """Trains to ``total_steps`` and writes the model; returns {"seconds", "steps"}."""
        s = self.settings
        self.out_dir.mkdir(parents=True, exist_ok=True)
        start = self.resume()
        if start > self.total_steps:
            raise FCNRError(f"{self.checkpoint_dir()}: the run is already at step {start}, past the {self.total_steps} "
                            "steps asked for; raise --max-steps/--epochs or use another --out")  # fmt: skip
        if start:
            print(f"resuming {self.out_dir} from step {start} of {self.total_steps}", flush=True)
        use_amp = self.device.type == "cuda" and s.precision == "bf16"
        self.model.train()
        with self.open_log(start) as log, tqdm(total=self.total_steps, initial=start, disable=not self.progress,
                                                 desc="train", unit="step") as bar:  # fmt: skip
            writer = csv.writer(log)
            for step in range(start, self.total_steps):
                tic = time.perf_counter()
                x_l, x_r, p_l, p_r = self.batch(step)
                lr = self.lr_at(step)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=use_amp):
                    out = self.model(x_l, x_r, p_l, p_r)
                terms = rd_loss(out, x_l, x_r, s.lmbda)
                self.optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP_NORM)
                self.optimizer.step()
                self.seconds += time.perf_counter() - tic
                values = {k: terms[k].item() for k in ("loss", "bpp", "psnr")}
                if not all(math.isfinite(v) for v in values.values()):
                    raise FCNRError(f"training diverged at step {step + 1} ({values}); lower --lr or --lambda")
                writer.writerow([step + 1, step // self.steps_per_epoch, *(f"{values[k]:.6g}" for k in
                                 ("loss", "bpp", "psnr")), f"{lr:.6g}", f"{self.seconds:.3f}"])  # fmt: skip
                log.flush()
                bar.set_postfix(loss=f"{values['loss']:.4g}", bpp=f"{values['bpp']:.4f}", psnr=f"{values['psnr']:.2f}")
                bar.update()
                if not self.progress and (step + 1) % s.checkpoint_every == 0:  # a line per checkpoint instead
                    print(f"step {step + 1}/{self.total_steps}: loss {values['loss']:.4g}, bpp {values['bpp']:.4f}, "
                          f"psnr {values['psnr']:.2f}, lr {lr:.3g}, {self.seconds:.0f} s", flush=True)  # fmt: skip
                if (step + 1) % s.checkpoint_every == 0 and step + 1 < self.total_steps:
                    self.save_checkpoint(step + 1)
        if start < self.total_steps or not list(self.checkpoint_dir().glob("step*.json")):
            self.save_checkpoint(self.total_steps)
        self.model.eval()
        save_model(self.model, self.out_dir)
        summary = {"seconds": self.seconds, "steps": self.total_steps, "init": self.init,
                   "sources": [self.describe(d) for d in self.sources]}
        write_json(self.out_dir / "train_summary.json", summary)
        return summary
