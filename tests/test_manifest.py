"""Dataset manifests: the shipped ones validate, and bad ones fail naming file and key."""

from __future__ import annotations

import pytest

from render.basics.errors import FCNRError
from render.manifest import known_datasets, load_manifest, used_timesteps
from render.volumes import volume_source

PAPER = {"tornado": ([128, 128, 128], 48), "vortex": ([128, 128, 128], 90),
         "tangaroa": ([300, 180, 120], 150)}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_shipped_manifests_match_the_paper(name):
    manifest = load_manifest(name)
    shape, total = PAPER[name]
    assert manifest["shape"] == shape and manifest["total_timesteps"] == total
    steps = used_timesteps(manifest)
    assert len(steps) == 30 and steps[-1] < total
    assert manifest["source"]["kind"] == name


def test_known_datasets_include_the_shipped_ones():
    assert {"tornado", "vortex", "tangaroa"} <= set(known_datasets())


def manifest_text(source="{kind: tornado}", shape="[8, 8, 8]"):
    return (f"name: bad\nsource: {source}\nshape: {shape}\ntotal_timesteps: 4\n"
            "timesteps: {start: 0, count: 2}\nscalar: s\n"
            "render: {isovalue: 0.5, dvr: {colormap: gray, opacity: [[0, 0], [1, 1]]}}\n")


@pytest.mark.parametrize("source,shape,key", [
    ("{kind: tornado}", "[8, 8]", "shape"),
    ("{kind: hurricane}", "[8, 8, 8]", "source.kind"),
    ("{kind: vortex, seeed: 3}", "[8, 8, 8]", "source.seeed"),
    ("{kind: raw}", "[8, 8, 8]", "source.pattern"),
    ("{kind: raw, pattern: 'x{t}.raw', dtype: float16}", "[8, 8, 8]", "source.dtype"),
])
def test_schema_failure_names_file_and_key(tmp_path, source, shape, key):
    path = tmp_path / "bad.yaml"
    path.write_text(manifest_text(source, shape))
    with pytest.raises(FCNRError, match=rf"{path}: {key}:"):
        load_manifest(str(path))


def test_unknown_source_parameter_is_named(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(manifest_text("{kind: vortex, params: {viscosity: 0.1}}"))
    with pytest.raises(FCNRError, match=r"bad.yaml: source.params.viscosity: unknown parameter"):
        next(volume_source(load_manifest(str(path))))
