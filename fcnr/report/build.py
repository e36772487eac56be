"""Assembles the report page: header, table of contents, and each section that has its inputs."""

from __future__ import annotations

import datetime
import os
import traceback
from pathlib import Path

from fcnr.report.context import ReportContext
from fcnr.report.html import esc, note
from fcnr.report.sections import discover

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; } th[colspan] { text-align: center; } td:first-child, th:first-child { text-align: left; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0.3em 0; }
tr.ours td { background: #eef6ee; font-weight: 600; }
.note { color: #555; font-size: 0.9em; } .error { background: #fee; border: 1px solid #c00; padding: 0.5em; }
figure { display: inline-block; margin: 0.4em; vertical-align: top; text-align: center; }
figure.image img { image-rendering: pixelated; border: 1px solid #ccc; }
figcaption { font-size: 0.8em; color: #444; max-width: 420px; }
img.plot { max-width: 100%; }
.examples { display: flex; flex-wrap: wrap; align-items: flex-start; }
nav ol { columns: 2; }
"""


def build_report(root: str | os.PathLike) -> tuple[str, list[str]]:
    """Returns the HTML report of ``root`` (``results/DS``) and the titles of sections that failed.

    A failed section shows its error in the page instead of its content.
    """
    ctx = ReportContext(Path(root))
    parts, toc, skipped, failed = [], [], [], []
    for module in discover():
        anchor = module.__name__.rsplit(".", 1)[-1]
        try:
            body = module.render(ctx)
        except Exception as exc:  # one broken section must not hide the others, and must show
            failed.append(module.TITLE)
            body = (f'<pre class="error">section failed: {esc(type(exc).__name__)}: {esc(exc)}\n'
                    f"{esc(traceback.format_exc(limit=3))}</pre>")  # fmt: skip
        if body is None:
            skipped.append(module.TITLE)
            continue
        toc.append(f'<li><a href="#{anchor}">{esc(module.TITLE)}</a></li>')
        parts.append(f'<section id="{anchor}"><h2>{esc(module.TITLE)}</h2>{body}</section>')
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    tail = note(f"Sections skipped (their inputs are absent): {', '.join(skipped)}.") if skipped else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>FCNR report: {esc(ctx.dataset)}</title>
<style>{STYLE}</style></head>
<body>
<h1>FCNR report: {esc(ctx.dataset)}</h1>
{note(f"Built {when} from {ctx.root}.")}
<nav><ol>{''.join(toc)}</ol></nav>
{''.join(parts)}
{tail}
</body></html>
"""
    return page, failed
