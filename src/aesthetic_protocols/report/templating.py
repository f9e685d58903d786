"""Templates that escape what they are given: HTML through jinja2's autoescape, Markdown through an
explicit escaper applied to every `{{ value }}`.

Log notes, patient references and protocol text may hold anything (`<script>`, `*`, `|`, escape
codes); in a record or a card they must come out as the characters typed, never as markup.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# C0 and C1 control codes (tab and newline apart) become their visible Unicode "control pictures", so an
# escape sequence written into a note shows as ␛[31m instead of acting on a terminal or a parser.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The invisible and direction characters the protocol files refuse (model.STEERING_RE: marks, overrides,
# isolates, zero-width characters, separators, a BOM, tags) become `<U+202E>`, so a note from an old log that
# holds one cannot make "dose 0005 U" read "dose 5000 U" or hide words.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]")
_SPACES = re.compile(r"[\t\n]")
# Characters with a meaning in CommonMark or GitHub tables; each is escaped with a backslash, which
# CommonMark defines for every ASCII punctuation character.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|&~])")
# What makes a line a list item or a quote when it starts one ("- ", "+", "1. ", "2)", ">").
# Four leading spaces would make an indented code block: at most three are kept (they do not show).
_LEADING = re.compile(r"^(?P<space> {0,3}) *(?:(?P<mark>[-+](?= |$)|>)|(?P<number>[0-9]+)(?P<dot>[.)])(?= |$))?")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def _code(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group(0)):04X}>"


def visible(text: Any) -> str:
    """Text with control codes shown as symbols, invisible and direction characters as `<U+XXXX>` and tabs
    or newlines as spaces (one line)."""
    return _INVISIBLE.sub(_code, _CONTROL.sub(_picture, _SPACES.sub(" ", str(text))))


def _leading(match: re.Match[str]) -> str:
    if match.group("mark"):
        return match.group("space") + "\\" + match.group("mark")
    if match.group("number"):
        return match.group("space") + match.group("number") + "\\" + match.group("dot")
    return match.group("space")


def md_escape(value: Any) -> str:
    """One line of Markdown that renders as exactly `value`'s characters; Markup passes as written."""
    from markupsafe import Markup  # with the templates only: a walk's end screen needs just `visible`

    if isinstance(value, Markup):
        return str(value)
    return _LEADING.sub(_leading, _MARKDOWN.sub(r"\\\1", visible(value)), count=1)


def _html_text(value: Any) -> Any:
    # Runs before autoescape: Markup (trusted template markup) passes, text loses its control codes.
    from markupsafe import Markup

    return value if isinstance(value, Markup) else visible(value)


def css_string(value: Any) -> Any:
    """`value` as a quoted CSS string (for `content:` in a <style> block, where HTML escaping means nothing):
    every character but letters, digits, space and `.-_·` is a hex escape, so no text can end the string or
    the style element."""
    from markupsafe import Markup

    text = visible(value)
    return Markup('"' + "".join(c if c.isalnum() or c in " .-_·" else f"\\{ord(c):06x}" for c in text) + '"')


@cache
def _environment(kind: str) -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    loader = PackageLoader("aesthetic_protocols.report", "templates")
    if kind == "html":
        html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, finalize=_html_text,
                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        html.filters["css_string"] = css_string
        return html
    return Environment(loader=loader, autoescape=False, undefined=StrictUndefined, finalize=md_escape,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    """Render `templates/<template>`; `.html.j2` templates autoescape, `.md.j2` ones Markdown-escape."""
    kind = "html" if template.endswith(".html.j2") else "md"
    return str(_environment(kind).get_template(template).render(**context))
