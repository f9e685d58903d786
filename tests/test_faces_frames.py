"""The screen on the terminal: a whole frame for a new step or size, only the changed rows otherwise, and the
picture left on a terminal emulator (pyte) always the one a whole frame leaves."""

from __future__ import annotations

import io
import re

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from aesthetic_protocols.faces.frames import Frames

STYLES = ["", "bold", "reverse", "bold white on red", "dim", "italic", "bold black on yellow"]


def terminal_console(size: tuple[int, int], is_terminal: bool = True) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=size[0], height=size[1], force_terminal=is_terminal,
                      color_system="standard" if is_terminal else None, highlight=False, markup=False, emoji=False,
                      legacy_windows=False)
    return console, buffer


def picture(written: str, size: tuple[int, int]) -> list[list[object]]:
    """Every cell (character and style) of a `size` terminal after `written`."""
    terminal = pyte.Screen(*size)
    terminal.set_mode(pyte.modes.LNM)  # a terminal's line discipline turns \n into \r\n
    pyte.Stream(terminal).feed(written)
    return [[terminal.buffer[y][x] for x in range(size[0])] for y in range(size[1])]


def frame(rows: list[tuple[str, str]]) -> Text:
    screen = Text("\n").join(Text(text, style=style) for text, style in rows)
    screen.no_wrap, screen.overflow = True, "crop"
    return screen


def rows_written(written: str) -> list[int]:
    return [int(row) for row in re.findall(r"\x1b\[(\d+);1H", written)]


def test_a_frame_on_the_same_step_writes_only_the_rows_that_changed() -> None:
    console, buffer = terminal_console((20, 4))
    with Frames(console) as frames:
        frames.draw(frame([("title", "bold"), ("00:01".ljust(20), "reverse"), ("body", ""), ("keys", "reverse")]), "a")
        first = buffer.getvalue()
        assert first.startswith("\x1b[?1049h\x1b[H\x1b[?25l")  # the alternate screen, no cursor
        assert rows_written(first) == [1, 2, 3, 4]
        frames.draw(frame([("title", "bold"), ("00:02".ljust(20), "reverse"), ("body", ""), ("keys", "reverse")]), "a")
        tick = buffer.getvalue()[len(first):]
        assert tick == "\x1b[2;1H\x1b[7m00:02               \x1b[0m"  # styled cells are written, every one
        frames.draw(frame([("title", "bold"), ("00:02".ljust(20), "reverse"), ("body", ""), ("keys", "reverse")]), "a")
        assert buffer.getvalue() == first + tick  # nothing changed: nothing written
        frames.draw(frame([("title", "bold"), ("00:02".ljust(20), "reverse"), ("body", ""), ("keys", "reverse")]), "b")
        assert rows_written(buffer.getvalue()[len(first + tick):]) == [1, 2, 3, 4]  # a new step: whole
    assert buffer.getvalue().endswith("\x1b[?25h\x1b[?1049l")


def test_a_plain_row_s_blank_end_is_erased_unless_the_row_is_full() -> None:
    console, buffer = terminal_console((8, 2))
    with Frames(console) as frames:
        start = len(buffer.getvalue())
        frames.draw(frame([("ab", ""), ("abcdefgh", "")]), "a")
    written = buffer.getvalue()[start:]
    # Erasing at the last column would take the row's last character with it: a full row is written as is.
    assert written.startswith("\x1b[1;1Hab\x1b[0K\x1b[2;1Habcdefgh\x1b[?25h")


def test_a_resized_window_gets_a_whole_frame() -> None:
    console, buffer = terminal_console((10, 3))
    with Frames(console) as frames:
        frames.draw(frame([("one", ""), ("two", ""), ("three", "")]), "a")
        console.size = (12, 4)
        start = len(buffer.getvalue())
        frames.draw(frame([("one", ""), ("two", ""), ("three", "")]), "a")
        assert rows_written(buffer.getvalue()[start:]) == [1, 2, 3, 4]


def test_nothing_is_drawn_when_the_console_is_no_terminal_or_once_closed() -> None:
    console, buffer = terminal_console((10, 3), is_terminal=False)
    with Frames(console) as frames:
        frames.draw(frame([("one", "")]), "a")
    assert buffer.getvalue() == ""
    console, buffer = terminal_console((10, 3))
    frames = Frames(console)
    with frames:
        pass
    closed = buffer.getvalue()
    frames.draw(frame([("one", "")]), "a")
    frames.close()
    assert buffer.getvalue() == closed


ROW = st.tuples(st.text(st.sampled_from("ab -▶é界"), max_size=14), st.sampled_from(STYLES))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(ROW, min_size=1, max_size=6), min_size=1, max_size=4))
def test_the_picture_is_the_one_rich_s_full_screen_redraw_leaves(frames_shown: list[list[tuple[str, str]]]) -> None:
    # Frames on one step (the first whole, then changed rows): every cell as rich's Live(screen=True), which
    # rewrote the whole screen at every redraw, leaves it for the last frame.
    from rich.live import Live

    size = (10, 5)
    console, buffer = terminal_console(size)
    with Frames(console) as frames:
        for rows in frames_shown:
            frames.draw(frame(rows), "same step")
    live_console, live = terminal_console(size)
    with Live(frame(frames_shown[-1]), console=live_console, screen=True, auto_refresh=False, redirect_stdout=False,
              redirect_stderr=False):
        pass
    assert picture(buffer.getvalue(), size) == picture(live.getvalue(), size)
