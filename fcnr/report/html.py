"""HTML building blocks of the report: escaped tables, notes, and inline PNG figures and images.

Everything is inline (data URIs), so the report is one file that opens offline.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")  # headless: figures render to PNG bytes, never to a window
import matplotlib.pyplot as plt

__all__ = ["Raw", "esc", "figure", "fmt", "image", "note", "plt", "png_data_uri", "table"]


class Raw(str):
    """A string of trusted HTML that :func:`table` and :func:`esc` leave unescaped."""


def esc(value: Any) -> str:
    """Returns ``value`` as HTML text (``Raw`` strings unchanged)."""
    return value if isinstance(value, Raw) else html.escape(str(value))


def fmt(value: Any, digits: int = 2) -> str:
    """Returns a number with ``digits`` decimals ("n/a" for None or NaN, "inf" for infinity)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return f"{float(value):,.{digits}f}"


def table(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    caption: str | None = None,
    cls: str | None = None,
    highlight: Iterable[int] = (),
) -> str:
    """Returns an HTML table; rows whose index is in ``highlight`` are marked (class ``ours``).

    ``header`` is one row of labels, or a list of such rows where a cell may be ``(label, colspan)``.
    """
    head_rows = header if header and isinstance(header[0], list) else [header]
    head = "".join("<tr>" + "".join(_th(cell) for cell in row) + "</tr>" for row in head_rows)
    marked = set(highlight)
    body = "".join(
        ('<tr class="ours">' if i in marked else "<tr>") + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    cls_attr = f' class="{cls}"' if cls else ""
    return f"<table{cls_attr}>{cap}<thead>{head}</thead><tbody>{body}</tbody></table>"


def _th(cell: Any) -> str:
    label, span = cell if isinstance(cell, tuple) else (cell, 1)
    return f'<th colspan="{span}">{esc(label)}</th>' if span > 1 else f"<th>{esc(label)}</th>"


def note(text: Any) -> str:
    """Returns a remark paragraph (escaped unless ``Raw``)."""
    return f'<p class="note">{esc(text)}</p>'


def png_data_uri(data: bytes | np.ndarray) -> str:
    """Returns a ``data:image/png;base64`` URI of PNG bytes or a uint8 HxW(x3) image."""
    if isinstance(data, np.ndarray):
        buffer = io.BytesIO()
        Image.fromarray(data).save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure(fig: matplotlib.figure.Figure, alt: str, caption: str | None = None) -> str:
    """Returns a matplotlib figure as an inline PNG ``<figure>`` and closes the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img class="plot" alt="{esc(alt)}" src="{png_data_uri(buffer.getvalue())}">{cap}</figure>'


def image(array: np.ndarray, alt: str, caption: str | None = None, width: int | None = None) -> str:
    """Returns a uint8 image as an inline PNG ``<figure>`` shown ``width`` px wide (pixels stay sharp)."""
    height = array.shape[0] * (width or array.shape[1]) // array.shape[1]
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure class="image"><img alt="{esc(alt)}" width="{width or array.shape[1]}" height="{height}" '
            f'src="{png_data_uri(array)}">{cap}</figure>')  # fmt: skip
