"""The shared foundation: schema validation, atomic writes, the paper's split, the CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from fcnr.cli import main
from fcnr.training.split import split_rows, training_timesteps, training_views
from render.basics.atomic import atomic_open, save_npy, write_json
from render.basics.errors import FCNRError
from render.basics.schema import validate

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["size"],
    "properties": {
        "size": {"type": "integer", "minimum": 8},
        "model": {
            "type": "object",
            "properties": {"N": {"type": "integer", "default": 192}},
            "default": {},
        },
    },
}


def test_validate_fills_defaults():
    doc = validate({"size": 64}, SCHEMA, "cfg.yaml")
    assert doc["model"] == {"N": 192}


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"size": 4}, "size"),
        ({"size": 64, "model": {"N": "big"}}, "model.N"),
        ({"size": 64, "colour": 1}, "colour"),
        ({}, "size"),
    ],
)
def test_validate_error_names_file_and_key(doc, key):
    with pytest.raises(FCNRError) as info:
        validate(doc, SCHEMA, "cfg.yaml")
    assert f"cfg.yaml: {key}:" in str(info.value)


def test_atomic_write_interrupted_leaves_nothing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write(b"partial")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_helpers_write_complete_files(tmp_path):
    save_npy(tmp_path / "a.npy", np.arange(5, dtype=np.float32))
    write_json(tmp_path / "m.json", {"k": 1})
    assert np.load(tmp_path / "a.npy", allow_pickle=False).tolist() == [0, 1, 2, 3, 4]
    assert (tmp_path / "m.json").read_text().strip().startswith("{")


def test_paper_split_sizes():
    timesteps = list(range(30))
    assert training_timesteps(timesteps) == list(range(0, 30, 3))
    views = training_views(812)
    assert len(views) == 406 and views[:4] == [0, 1, 4, 5]
    rows = split_rows(timesteps, 812)
    assert len(rows) == 24_360
    assert sum(split == "train" for *_, split in rows) == 4_060


def test_split_rejects_odd_view_count():
    with pytest.raises(ValueError, match="odd"):
        training_views(11)


def test_cli_reports_user_errors_without_traceback(tmp_path, capsys):
    assert main(["volumes", "no-such-dataset", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'no-such-dataset'" in err and "tornado" in err


def test_cli_help_lists_every_stage():
    out = subprocess.run(
        [sys.executable, "-m", "fcnr.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("volumes", "views", "render", "train", "compress", "decompress", "info"):
        assert name in out
