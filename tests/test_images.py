"""Image files: the background PNG writer."""

from __future__ import annotations

import numpy as np
import pytest

from fcnr.images import ImageWriter, read_image


def test_background_writes_land_whole_and_in_full(tmp_path):
    images = {v: np.full((16, 24, 3), v * 20, dtype=np.uint8) for v in range(9)}
    with ImageWriter(2) as writer:
        for v, image in images.items():
            writer.write(tmp_path / "out" / f"v{v:04d}.png", image)
    assert writer.blocked_seconds >= 0
    for v, image in images.items():
        np.testing.assert_array_equal(read_image(tmp_path / "out" / f"v{v:04d}.png"), image)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"v{v:04d}.png" for v in range(9)]


def test_a_failed_write_is_raised_when_the_block_ends(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError):
        with ImageWriter(1) as writer:
            writer.write(tmp_path / "file" / "v0000.png", np.zeros((4, 4, 3), dtype=np.uint8))
