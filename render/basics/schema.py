"""Validation of YAML documents (configs, manifests) against JSON schemas."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from render.basics.errors import FCNRError


def load_yaml(path: str | os.PathLike) -> Any:
    """Returns the parsed YAML document at ``path``; a missing or unparsable file is an FCNRError."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise FCNRError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FCNRError(f"{path}: not valid YAML: {exc}") from exc


def validate(document: Any, schema: dict, source: str) -> Any:
    """Returns ``document`` with schema defaults filled in, or raises an FCNRError naming the bad key.

    ``source`` names the file (or other origin) in the error message.
    """
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = _with_defaults(validator_cls)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{source}: {_key(err)}: {err.message}" for err in errors]
        raise FCNRError("invalid configuration:\n  " + "\n  ".join(lines))
    return document


def fill_registries(schema: Any, registries: dict[str, dict[str, Any]]) -> Any:
    """Returns a copy of ``schema`` in which every mapping with an ``x-registry: NAME`` key gets the keywords
    ``registries[NAME]`` gives (e.g. an ``enum`` of names, or ``properties``) in place of that key."""
    if isinstance(schema, list):
        return [fill_registries(item, registries) for item in schema]
    if not isinstance(schema, dict):
        return schema
    filled = {key: fill_registries(value, registries) for key, value in schema.items() if key != "x-registry"}
    if "x-registry" in schema:
        name = schema["x-registry"]
        if name not in registries:
            raise FCNRError(f"schema names an unknown registry {name!r}; known: {', '.join(registries)}")
        filled.update(registries[name])
    return filled


def load_validated(path: str | os.PathLike, schema_path: str | os.PathLike) -> Any:
    """Returns the YAML document at ``path`` validated against the YAML schema at ``schema_path``."""
    return validate(load_yaml(path), load_yaml(schema_path), str(path))


def _key(error: jsonschema.ValidationError) -> str:
    """Returns the dotted path of the key an error is about ('<top>' for the document itself)."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        parts += extra[:1]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(parts) or "<top>"


def _with_defaults(validator_cls: type) -> type:
    """Returns a validator class that also fills in ``default`` values of missing properties."""
    validate_properties = validator_cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(name, sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_cls, {"properties": set_defaults})
