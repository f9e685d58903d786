"""The terminal face's screen on the terminal: a whole frame when the step or the window changes, otherwise
only the rows that differ from the last frame written.

A frame is laid out by rich at the window's size (every row padded to the width, as rich's full-screen Live
lays it out) and kept as rows of styled segments. A redraw on the same step at the same size compares its
rows with the last frame's and writes only the changed ones, each at its place (cursor to the row's start,
the row's styled text, then erase-to-end-of-line for its unstyled blank end). While a wait ticks that is the
header's clock and the countdown: two rows of 24, not the whole screen. Every cell ends up the same character
in the same style as a whole frame would leave it.

Like rich's `Live(screen=True)`: the alternate screen and a hidden cursor while open, the main screen and the
cursor back when closed, however the walk ends (`with Frames(console):`).
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, RenderableType
from rich.control import Control
from rich.segment import ControlType, Segment, Segments

# Blank the rest of the row in the default style: after a styled segment rich resets the style, so the cells
# erased are the plain blanks the row's padding would have written.
_ERASE_TO_END = Control((ControlType.ERASE_IN_LINE, 0)).segment


class Frames:
    """The screen as last written, and what a new frame must write to become it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: list[list[Segment]] = []  # the last frame, row by row
        self.size: tuple[int, int] | None = None  # its (columns, rows)
        self.step: object = None  # what it showed (the walk's step): another step gets a whole frame
        self.open = False

    def __enter__(self) -> Frames:
        self.open = True
        self.console.set_alt_screen(True)
        self.console.show_cursor(False)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """The cursor shown and the main screen back (once; closing again does nothing)."""
        if self.open:
            self.open = False
            self.console.show_cursor(True)
            self.console.set_alt_screen(False)

    def forget(self) -> None:
        """The next frame is written whole (Ctrl-L: something else wrote over the screen)."""
        self.rows, self.size, self.step = [], None, None

    def draw(self, renderable: RenderableType, step: object) -> None:
        """Lay `renderable` out at the window's size and write what differs from the last frame: every row
        for a new `step`, a new size or the first frame, else only the rows that changed."""
        console = self.console
        if not self.open or not console.is_terminal or console.is_dumb_terminal:
            return  # as rich's Live: a frame is drawn only on a terminal that can place the cursor
        options = console.options
        width, height = options.size
        lines = console.render_lines(renderable, options.update(width=width, height=height), pad=True)
        rows = [list(Segment.simplify(line)) for line in Segment.set_shape(lines, width, height)]
        whole = step != self.step or (width, height) != self.size
        written: list[Segment] = []
        for number, row in enumerate(rows):
            if whole or row != self.rows[number]:
                written += [Control.move_to(0, number).segment, *_as_written(row)]
        self.rows, self.size, self.step = rows, (width, height), step
        if written:
            console.print(Segments(written), end="", crop=False)


def _as_written(row: list[Segment]) -> list[Segment]:
    """A row as written: its unstyled blank end is erased (one control) rather than written as spaces.

    Only when at least one cell is erased: a row whose text reaches the last column leaves the cursor on that
    column, where an erase would take its last character too."""
    kept = list(row)
    erased = 0
    while kept and not kept[-1].style and not kept[-1].control:
        last = kept.pop()
        text = last.text.rstrip(" ")
        erased += len(last.text) - len(text)
        if text:
            kept.append(Segment(text, last.style))
            break
    return [*kept, _ERASE_TO_END] if erased else kept
