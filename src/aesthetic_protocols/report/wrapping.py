"""Text for a window: lines broken at word boundaries at the window's width, never mid-word.

A long line of a listing or a timeline goes on under its last column (the words that are long: a title, what
was recorded), a listed item under its first word, other lines indented by two. Output to a pipe or a file is
left as it is (one record a line, for tools).
"""

from __future__ import annotations

import re
import shutil
import textwrap
from typing import TextIO

_COLUMN_GAP = re.compile(r"\S( {2,})(?=\S)")
_BULLET = re.compile(r" *(- |\[.\] |[a-z0-9] / \d+: )")
MIN_WIDTH = 20


def window_width(stream: TextIO) -> int | None:
    """The width to wrap output to when `stream` is a terminal (its width, or COLUMNS); None for a pipe or file."""
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError, OSError):
        return None
    return max(MIN_WIDTH, shutil.get_terminal_size().columns)


def wrap_line(line: str, width: int) -> list[str]:
    """One line as rows of at most `width` characters, broken between words (a word longer than a row is cut)."""
    if len(line) <= width:
        return [line]
    starts = [match.end(1) for match in _COLUMN_GAP.finditer(line) if match.end(1) <= width * 2 // 3]
    lead = len(line) - len(line.lstrip(" "))
    bullet = _BULLET.match(line)
    indent = bullet.end() if bullet else starts[-1] if starts else min(lead + 2, width // 2)
    return textwrap.wrap(line, width=width, subsequent_indent=" " * indent, drop_whitespace=True,
                         break_on_hyphens=False) or [line[:width]]


def wrap_text(text: str, width: int | None) -> str:
    """Every line of `text` wrapped to `width` (None: as it is)."""
    if width is None:
        return text
    end = "\n" if text.endswith("\n") else ""
    return "\n".join(row for line in text.split("\n") for row in wrap_line(line, width)).rstrip("\n") + end
