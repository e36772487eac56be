"""A run's images of one mode as a spec-D Cinema database.

``data.csv`` has the columns ``time,view,phi,theta,FILE``: the run's integer timestep, the
view's index, its angles in degrees in the ``fcnr`` convention (azimuth about +z in [-180, 180),
elevation in [-90, 90], as spec C's phi and theta; always with a decimal point, so spec-D
readers type them as floats), and the image's path. ``fcnr-cinema.json`` states the convention
(``fcnr.cinema.sidecar``). Images are decoded from the shards (``decoded``, the same bytes
``fcnr decompress`` writes) or copied from the rendered ground truth (``truth``). data.csv is
written last, so an interrupted export is not a database.
"""

from __future__ import annotations

import os
from pathlib import Path

from fcnr.cinema.cameras import fcnr_angles
from fcnr.cinema.database import write_table
from fcnr.cinema.sidecar import write_sidecar
from fcnr.images import image_path, timestep_dir, write_image
from fcnr.viewer.run import Run
from render.basics.atomic import write_bytes
from render.basics.errors import FCNRError

HEADER = ("time", "view", "phi", "theta", "FILE")
SOURCES = ("decoded", "truth")


def export_database(run: Run, mode: str, out: str | os.PathLike, source: str = "decoded", device="cpu") -> int:
    """Writes ``out`` (NAME.cdb) from ``run``'s ``mode`` images and returns the number of images."""
    out = Path(out)
    if out.suffix != ".cdb":
        raise FCNRError(f"{out}: a Cinema database is a folder named NAME.cdb; give --out a .cdb name")
    if out.exists() and any(out.iterdir()):
        raise FCNRError(f"{out}: already exists and is not empty; remove it or pick another --out")
    if mode not in run.modes:
        raise FCNRError(f"{run.root}: mode {mode!r} has no shards here; the run has {', '.join(run.modes)}")
    if source not in SOURCES:
        raise FCNRError(f"unknown --source {source!r}; use {' or '.join(SOURCES)}")
    angles = {int(v["index"]): fcnr_angles(float(v["theta"]), float(v["phi"])) for v in run.views}
    written = _decode_into(run, mode, out, device) if source == "decoded" else _copy_truth(run, mode, out)
    rows = []
    for t in run.timesteps:
        for view in sorted(angles):
            phi, theta = angles[view]
            rows.append([str(t), str(view), repr(phi), repr(theta), f"t{t:04d}/v{view:04d}.png"])
    fields = {"dataset": run.dataset, "mode": mode, "source": source, "image": written["image"]}
    if source == "decoded":
        fields["model_id"] = written["model_id"]
    write_sidecar(out, **fields)
    write_table(out, HEADER, rows)
    return len(rows)


def _decode_into(run: Run, mode: str, out: Path, device) -> dict:
    from fcnr.codec.coding import decode_all
    from fcnr.codec.model_files import model_id
    from fcnr.codec.model_io import load_model
    from fcnr.codec.shard import read_shard

    mid = model_id(run.model_dir(mode))
    model = load_model(run.model_dir(mode), device=device)
    size = None
    for t in run.timesteps:
        shard = read_shard(run.shard_path(mode, t))
        size = {"width": shard.header.width, "height": shard.header.height}
        expected = set(run.view_index)
        for view, image in decode_all(shard, model, mid):
            write_image(image_path(timestep_dir(out, t), view), image)
            expected.discard(view)
        if expected:
            raise FCNRError(f"shard {shard.path}: lacks views {sorted(expected)[:5]} of views.csv; re-run `fcnr compress`")
    return {"image": size, "model_id": mid}


def _copy_truth(run: Run, mode: str, out: Path) -> dict:
    from fcnr.images import read_image

    size = None
    for t in run.timesteps:
        for view in run.view_index:
            path = run.truth_path(mode, t, view)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise FCNRError(f"{path}: cannot read the ground truth ({exc.strerror or exc}); "
                                "export --source decoded instead")  # fmt: skip
            write_bytes(image_path(timestep_dir(out, t), view), data)
            if size is None:
                h, w = read_image(path).shape[:2]
                size = {"width": w, "height": h}
    return {"image": size}
