"""A spec-D ``data.csv``: read with the spec's checks (errors name the row and column), and write.

Spec D (v1.2): UTF-8, RFC 4180; a header of unique, non-empty names; at least one data row;
every row as wide as the header; artifact columns are named ``FILE`` or start with ``FILE`` and
come last. Row numbers in messages are the file's line numbers (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from render.basics.atomic import write_text
from render.basics.errors import FCNRError

CSV_NAME = "data.csv"


@dataclass(frozen=True)
class Table:
    """A database's data.csv: its folder, header and rows (strings, as in the file)."""

    cdb: Path
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]

    @property
    def csv_path(self) -> Path:
        """Returns the data.csv file."""
        return self.cdb / CSV_NAME

    @property
    def file_columns(self) -> tuple[str, ...]:
        """Returns the artifact columns (FILE, FILE_png, ...), in header order."""
        return tuple(c for c in self.header if c.startswith("FILE"))

    def where(self, row: int, column: str | None = None) -> str:
        """Returns how messages name a data row (0-based) and column: ``data.csv: row 7, column phi``."""
        place = f"{self.csv_path}: row {row + 2}"
        return f"{place}, column {column}" if column else place

    def column(self, name: str) -> list[str]:
        """Returns one column's values."""
        k = self.header.index(name)
        return [r[k] for r in self.rows]

    def numbers(self, name: str) -> list[float]:
        """Returns a column as finite floats; an empty or non-numeric value is an FCNRError naming its cell."""
        values = []
        for i, text in enumerate(self.column(name)):
            try:
                value = float(text)
            except ValueError:
                raise FCNRError(f"{self.where(i, name)}: {text!r} is not a number") from None
            if not math.isfinite(value):
                raise FCNRError(f"{self.where(i, name)}: {text!r} is not a finite number")
            values.append(value)
        return values


def read_table(cdb: str | os.PathLike) -> Table:
    """Returns the data.csv of the database folder ``cdb`` after the spec's checks."""
    cdb = Path(cdb)
    path = cdb / CSV_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FCNRError(f"{cdb}: not a Cinema database (no {CSV_NAME}); point at the NAME.cdb folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FCNRError(f"{path}: cannot read ({exc})") from exc
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise FCNRError(f"{path}: not valid CSV ({exc})") from exc
    if not lines:
        raise FCNRError(f"{path}: empty; spec D needs a header and at least one row")
    header = tuple(lines[0])
    table = Table(cdb, header, [tuple(r) for r in lines[1:]])
    _check_header(table)
    if not table.rows:
        raise FCNRError(f"{path}: no data rows; spec D needs at least one")
    for i, row in enumerate(table.rows):
        if len(row) != len(header):
            raise FCNRError(f"{table.where(i)}: {len(row)} values for the header's {len(header)} columns")
    return table


def _check_header(table: Table) -> None:
    where = f"{table.csv_path}: header (row 1)"
    for k, name in enumerate(table.header):
        if not name:
            raise FCNRError(f"{where}: column {k + 1} has no name")
        if name in table.header[:k]:
            raise FCNRError(f"{where}: column {name!r} appears twice")
    files = [k for k, name in enumerate(table.header) if name.startswith("FILE")]
    if files and files != list(range(files[0], len(table.header))):
        late = table.header[next(k for k in range(files[0], len(table.header)) if k not in files)]
        raise FCNRError(f"{where}: column {late!r} follows a FILE column; spec D puts FILE columns last")


def write_table(cdb: str | os.PathLike, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    """Writes ``cdb/data.csv`` atomically (cells already formatted as text) and returns its path."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = Path(cdb) / CSV_NAME
    write_text(path, out.getvalue())
    return path
