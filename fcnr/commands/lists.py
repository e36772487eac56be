"""Options that name one item each of several parallel lists (``fcnr compress a b --out x y``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from render.basics.errors import FCNRError


def parallel_lists(first: tuple[str, Sequence[Any]], *others: tuple[str, Sequence[Any] | None]) -> list[tuple]:
    """Returns the lists zipped item by item; an optional list left out (None) gives None for every item.

    Each argument is (option name, values); a list of another length than the first is refused
    with a message naming both options.
    """
    name, items = first
    columns = [list(items)]
    for other, values in others:
        if values is None:
            columns.append([None] * len(items))
        elif len(values) != len(items):
            raise FCNRError(f"{other}: {len(values)} value(s) for {len(items)} {name}; give one per {name}")
        else:
            columns.append(list(values))
    return list(zip(*columns))
