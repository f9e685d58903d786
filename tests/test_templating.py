"""Templates that escape: whatever text goes in comes out as the same characters, in Markdown and HTML."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from aesthetic_protocols.report.templating import md_escape, render, visible

# CommonMark with GitHub tables: what a code-hosting site or an EHR's Markdown viewer does with the record.
RENDERER = MarkdownIt("commonmark").enable("table")
# Text as a practitioner might type it, heavy on what means something in Markdown and HTML.
TEXT = st.text(alphabet=st.sampled_from(list("ab 1.-+=>#*_`|&<>[]()!\\~{}:/;\"'\x1b\x00\t\n\u00e9")), max_size=40)


def shown(text: str) -> str:
    """Text as a browser shows it: runs of spaces collapse to one (leading spaces are cut to three, unseen)."""
    return re.sub(" +", " ", text).strip()


def rendered_text(markdown: str) -> str:
    """The visible text of rendered Markdown (tags removed, entities decoded)."""
    return shown(html.unescape(re.sub(r"<[^>]+>", "", RENDERER.render(markdown))))


@given(TEXT)
def test_escaped_markdown_renders_as_the_very_characters(text: str) -> None:
    assert rendered_text("Note: " + md_escape(text)) == shown("Note: " + visible(text))
    assert rendered_text(md_escape(text)) == shown(visible(text))


@given(TEXT)
def test_escaped_markdown_stays_in_its_table_cell(text: str) -> None:
    table = RENDERER.render(f"| a | b |\n|---|---|\n| {md_escape(text)} | end |\n")
    cells = re.findall(r"<td>(.*?)</td>", table, flags=re.S)
    assert len(cells) == 2 and cells[1] == "end"
    assert shown(html.unescape(re.sub(r"<[^>]+>", "", cells[0]))) == shown(visible(text))


def test_control_codes_become_visible_symbols_and_whitespace_becomes_spaces() -> None:
    assert visible("a\x1b[31mb\x00c\x7fd\x85e\tf\ng") == "a\u241b[31mb\u2400c\u2421d\ufffde f g"


def test_html_templates_autoescape_and_markdown_templates_escape() -> None:
    nasty = '<script>alert("x")</script> & *b* # | `c` \x1b'
    card = render("card.html.j2", card=_card(nasty))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; *b* # | `c` \u241b" in card
    assert "<script>alert" not in card
    markdown = render("card.md.j2", card=_card(nasty))
    assert "\\<script\\>alert(\"x\")\\</script\\> \\& \\*b\\* \\# \\| \\`c\\` \u241b" in markdown


def _card(title: str) -> object:
    from aesthetic_protocols.report.card import Card

    return Card("x", title, "1.0.0", "draft", True, "0" * 64, "0" * 12, [], [], [], [])


def test_visible_shows_every_character_the_protocol_files_refuse() -> None:
    from aesthetic_protocols.model import STEERING_RE

    refused = [chr(code) for code in [*range(0x3000), *range(0xFE00, 0x10000), *range(0xE0000, 0xE0080)]
               if not 0xD800 <= code <= 0xDFFF and STEERING_RE.match(chr(code))]
    assert len(refused) > 100
    for char in refused:
        shown = visible(f"a{char}b")
        assert STEERING_RE.search(shown) is None, f"U+{ord(char):04X}"
    assert visible("5\u202e00") == "5<U+202E>00" and visible("\U000e0041") == "<U+E0041>"
