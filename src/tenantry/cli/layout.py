"""Tables that fit the terminal: a table when every column fits whole, a list layout when not.

A rich table squeezed into 80 columns shrinks its text columns to a letter per line and cuts its
headers to "ten… joi…". Rather than abbreviate, the same rows are printed as a list: one heading
line per row, its other cells as `header: value`, wrapped with an indent.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

WRAP_AT = 40  # a text column may wrap down to this width and still read as sentences


def _width(cell: str | Text) -> int:
    return max((len(line) for line in str(cell).splitlines()), default=0)


def table_width(headers: Sequence[str], rows: Sequence[Sequence[str | Text]], wrap: set[int]) -> int:
    """Columns it takes to show the table without cutting a word of any header or cell."""
    total = 1
    for i, h in enumerate(headers):
        widest = max([_width(h)] + [_width(r[i]) for r in rows])
        if i in wrap:
            longest_word = max([len(w) for r in rows for w in str(r[i]).split()] + [len(h)])
            widest = max(longest_word, min(widest, WRAP_AT))
        total += widest + 3
    return total


def fits(
    console: Console, headers: Sequence[str], rows: Sequence[Sequence[str | Text]], wrap: Sequence[int] = ()
) -> bool:
    return table_width(headers, rows, set(wrap)) <= console.width


def table_or_list(
    console: Console,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str | Text]],
    *,
    wrap: Sequence[int] = (),
    right: Sequence[int] = (),
    skip_zero: bool = False,
) -> RenderableType:
    """A table if it fits `console.width` whole; otherwise one entry per row."""
    wrap_set = set(wrap)
    if fits(console, headers, rows, wrap):
        t = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            t.add_column(
                h,
                justify="right" if i in right else "left",
                no_wrap=i not in wrap_set,
                overflow="fold" if i in wrap_set else "ellipsis",
                min_width=len(h),
            )
        for r in rows:
            t.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in r))
        return t
    parts: list[RenderableType] = [Text(title, style="bold")] if title else []
    for r in rows:
        parts.append(Text.assemble("• ", r[0] if isinstance(r[0], Text) else Text(str(r[0]), style="bold")))
        body = Text()
        for h, cell in zip(headers[1:], r[1:], strict=True):
            if str(cell) == "" or (skip_zero and str(cell) == "0"):
                continue
            if body:
                body.append("; ")
            body.append(f"{h}: ", style="dim")
            body.append(cell if isinstance(cell, Text) else Text(str(cell)))
        if body:
            parts.append(Padding(body, (0, 0, 0, 4)))
    return Group(*parts)
