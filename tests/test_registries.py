"""Each kind of name is registered once; the schemas, the CLI and the workflow take the names from the registries."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcnr.baselines import CODECS, label
from fcnr.baselines.schemas import load_schema, registries
from fcnr.cli import build_parser
from fcnr.codec.variants import CONTEXTS, MAIN, VARIANTS, ablation_variants, curve_variants
from fcnr.inr import METHODS as INR_METHODS
from render.basics.errors import FCNRError
from render.basics.schema import fill_registries, load_yaml, validate

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = [ROOT / "workflow" / "schemas" / "config.schema.yaml", ROOT / "workflow" / "schemas" / "baselines.schema.yaml",
           ROOT / "fcnr" / "schemas" / "model.schema.yaml"]  # fmt: skip
NAMES = {*VARIANTS, *CODECS, *INR_METHODS}


def nodes(schema):
    """Yields every mapping in a schema."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from nodes(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from nodes(item)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_no_schema_lists_registered_names_by_hand(path):
    raw = load_yaml(path)
    for node in nodes(raw):
        assert not NAMES & set(node.get("enum", [])), f"{path.name}: enum {node['enum']}: use x-registry"
        assert not NAMES & set(node.get("properties", {})), f"{path.name}: properties: use x-registry"
    assert {node["x-registry"] for node in nodes(raw) if "x-registry" in node} <= set(registries())


def test_schema_enums_are_the_registries():
    config, baselines = load_schema(SCHEMAS[0]), load_schema(SCHEMAS[1])["properties"]
    model = load_schema(SCHEMAS[2])["properties"]
    assert config["$defs"]["train"]["properties"]["variant"]["enum"] == model["variant"]["enum"] == list(VARIANTS)
    assert config["$defs"]["train"]["properties"]["variant"]["default"] == model["variant"]["default"] == MAIN
    assert config["$defs"]["train"]["properties"]["context"]["oneOf"][1]["enum"] == model["context"]["enum"] == list(CONTEXTS)
    learned = baselines["learned"]["properties"]
    assert learned["variants"]["items"]["enum"] == learned["variants"]["default"] == ablation_variants()
    assert learned["sweep"]["items"]["enum"] == learned["sweep"]["default"] == curve_variants() == ["fcnr", "ecsic"]
    assert list(baselines["classical"]["properties"]) == list(CODECS)
    assert list(baselines["inr"]["properties"]["methods"]["properties"]) == list(INR_METHODS)


def test_filled_schema_checks_the_names():
    schema = load_schema(SCHEMAS[1])
    section = validate({"learned": {"variants": ["pe-only"]}, "classical": {"jpeg": [50]}}, schema, "cfg")
    assert section["classical"]["hevc"] == list(CODECS["hevc"].default_settings)
    assert section["inr"]["methods"]["nervi"]["sizes"] == list(INR_METHODS["nervi"].default_sizes)
    with pytest.raises(FCNRError, match="learned.variants.0"):
        validate({"learned": {"variants": ["fcnr"]}}, schema, "cfg")
    with pytest.raises(FCNRError, match="classical.bmp: Additional properties"):
        validate({"classical": {"bmp": [1]}}, schema, "cfg")
    with pytest.raises(FCNRError, match="unknown registry"):
        fill_registries({"x-registry": "nope"}, registries())


def test_cli_choices_come_from_the_registries():
    def choices(argv, option):
        command = build_parser(argv)._subparsers._group_actions[0].choices[argv[0]]
        return next(a.choices for a in command._actions if option in a.option_strings)

    assert list(choices(["train"], "--variant")) == list(VARIANTS)
    assert list(choices(["train"], "--context")) == list(CONTEXTS)
    assert sorted(choices(["baseline"], "--codec")) == sorted(CODECS)


def test_every_name_has_its_own_label():
    names = [*VARIANTS, *CODECS, *INR_METHODS]
    assert len(set(names)) == len(names), "a name is registered in two registries"
    labels = [label(name) for name in names]
    assert len(set(labels)) == len(labels) and all(lab != name for lab, name in zip(labels, names))
