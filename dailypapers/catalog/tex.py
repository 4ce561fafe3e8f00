"""Titles and abstracts with TeX in them, as HTML for the pages.

arXiv's titles and abstracts are TeX source: formulas (``$...$``, ``$$...$$``, ``\\(...\\)``,
``\\[...\\]``) stay as escaped text that KaTeX renders in the browser (without JavaScript the
source shows); text commands outside formulas become HTML (``\\textbf{x}`` ``<strong>x</strong>``,
``\\emph``/``\\textit`` ``<em>``, ``\\texttt`` ``<code>``, ``\\underline`` ``<u>``; ``\\url``
and ``\\textrm`` keep their text); everything else is escaped. An excerpt is cut only between
words outside formulas and outside a text command's braces, so that no ``\\textbf{Thi…``
reaches a page.

The scanner is linear in the text, limits nesting (``MAX_DEPTH``) and never fails: what it
cannot pair (a lone ``$``, an unclosed brace) is plain text."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_DEPTH = 8
ELLIPSIS = "\u2026"

TEXT_COMMANDS: dict[str, tuple[str, str]] = {
    "textbf": ("<strong>", "</strong>"),
    "emph": ("<em>", "</em>"),
    "textit": ("<em>", "</em>"),
    "textsl": ("<em>", "</em>"),
    "texttt": ("<code>", "</code>"),
    "underline": ("<u>", "</u>"),
    "textsc": ("", ""),
    "textrm": ("", ""),
    "textsf": ("", ""),
    "textnormal": ("", ""),
    "textup": ("", ""),
    "mbox": ("", ""),
    "url": ("", ""),
}
"""Text commands that take one braced argument, and the HTML around it."""

_COMMAND = re.compile(r"\\([A-Za-z]+)\s*\{")
_ESCAPED = {"\\%": "%", "\\&": "&", "\\#": "#", "\\_": "_", "\\{": "{", "\\}": "}"}


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of the source: ``kind`` is ``"text"``, ``"math"`` or ``"command"`` (then
    ``name`` is the command and ``children`` its argument's tokens); ``start``/``end`` are
    offsets into the whole source."""

    kind: str
    start: int
    end: int
    name: str = ""
    children: tuple[Token, ...] = field(default=())


_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.DOTALL)
_SPECIAL = re.compile(r"[$\\]")
"""Where a formula or a command may start: the scan jumps from one to the next."""


def _brace_pairs(text: str) -> dict[int, int]:
    """Each opening brace's offset to its closing brace's (escaped braces left out)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for found in _BRACE_OR_ESCAPE.finditer(text):
        brace = found.group()
        if brace == "{":
            stack.append(found.start())
        elif brace == "}" and stack:
            pairs[stack.pop()] = found.start()
    return pairs


def _unescaped(text: str, needle: str, start: int, stop: int) -> int:
    """The offset of ``needle`` at or after ``start`` not preceded by a backslash, or -1."""
    i = start
    while True:
        i = text.find(needle, i, stop)
        if i < 0:
            return -1
        backslashes = 0
        j = i - 1
        while j >= start and text[j] == "\\":
            backslashes += 1
            j -= 1
        if backslashes % 2 == 0:
            return i
        i += 1


def _math_end(text: str, i: int, stop: int) -> int:
    """If a formula starts at ``i``, the offset just past its end; else -1."""
    if text.startswith("$$", i):
        end = _unescaped(text, "$$", i + 2, stop)
        return end + 2 if end > i + 2 else -1
    if text.startswith("\\(", i) or text.startswith("\\[", i):
        close = "\\)" if text[i + 1] == "(" else "\\]"
        end = text.find(close, i + 2, stop)
        return end + 2 if end > i + 2 else -1
    if text[i] == "$":
        end = _unescaped(text, "$", i + 1, stop)
        return end + 1 if end > i + 1 else -1
    return -1


def has_tex(text: str) -> bool:
    """Whether the text may hold a formula or a command (a ``$`` or a backslash): most
    titles and many abstracts do not, and are one piece of plain text."""
    return _SPECIAL.search(text) is not None


def tokens(text: str) -> list[Token]:
    """The text as tokens (formulas, text commands, text between)."""
    if not has_tex(text):
        return [Token("text", 0, len(text))] if text else []
    return _tokens(text, 0, len(text), 0, _brace_pairs(text) if "\\" in text else {})


def _tokens(text: str, start: int, stop: int, depth: int, braces: dict[int, int]) -> list[Token]:
    out: list[Token] = []
    plain_from = start
    i = start

    def flush(upto: int) -> None:
        if upto > plain_from:
            out.append(Token("text", plain_from, upto))

    special = _SPECIAL.search(text, i, stop)
    i = special.start() if special else stop
    while i < stop:
        c = text[i]
        if c == "$" or (c == "\\" and text[i + 1 : i + 2] in ("(", "[")):
            end = _math_end(text, i, stop)
            if end > 0:
                flush(i)
                out.append(Token("math", i, end))
                i = plain_from = end
                continue
        if c == "\\":
            command = _COMMAND.match(text, i, stop)
            if command and command.group(1) in TEXT_COMMANDS and depth < MAX_DEPTH:
                inner = command.end()
                close = braces.get(inner - 1, stop)
                if close < stop:
                    flush(i)
                    children = tuple(_tokens(text, inner, close, depth + 1, braces))
                    out.append(Token("command", i, close + 1, command.group(1), children))
                    i = plain_from = close + 1
                    continue
            i += 2  # an escaped character (``\\$``, ``\\%``) or a command's backslash
        else:
            i += 1
        special = _SPECIAL.search(text, i, stop)
        i = special.start() if special else stop
    flush(stop)
    return out


def _text_html(source: str) -> str:
    """Plain text as HTML: TeX's escaped characters as themselves, the rest escaped."""
    for escaped, char in _ESCAPED.items():
        source = source.replace(escaped, char)
    return html.escape(source, quote=False).replace("~", "\u00a0")


def _render(text: str, parts: Sequence[Token], marks: Sequence[tuple[int, int]]) -> str:
    out: list[str] = []
    for token in parts:
        if token.kind == "command":
            before, after = TEXT_COMMANDS[token.name]
            out.append(before + _render(text, token.children, marks) + after)
        elif token.kind == "math":
            formula = html.escape(text[token.start : token.end], quote=False)
            marked = any(s < token.end and e > token.start for s, e in marks)
            out.append(f"<b>{formula}</b>" if marked else formula)
        else:
            at = token.start
            for mark_start, mark_end in marks:
                s, e = max(mark_start, token.start), min(mark_end, token.end)
                if s >= e or s < at:
                    continue
                out.append(_text_html(text[at:s]))
                out.append(f"<b>{_text_html(text[s:e])}</b>")
                at = e
            out.append(_text_html(text[at : token.end]))
    return "".join(out)


def tex_html(text: str, marks: Sequence[tuple[int, int]] = ()) -> str:
    """The text as safe HTML (see the module's doc); ``marks`` (character offsets, in order)
    are put in ``<b>``: a mark that touches a formula marks the whole formula, so that the
    formula stays one piece of text for KaTeX."""
    return _render(text, tokens(text), marks)


def cut_point(text: str, limit: int) -> int | None:
    """Where to cut ``text`` to at most ``limit`` characters (with an ellipsis): the last
    space outside formulas and text commands before the limit, or the first after it where
    none comes before; None when the text is short enough or has no such space."""
    if len(text) <= limit:
        return None
    best: int | None = None
    for token in tokens(text):
        if token.kind != "text":
            continue
        for i in range(token.start, token.end):
            if text[i].isspace():
                if i <= limit - 1:
                    best = i
                elif best is None:
                    return i
                else:
                    return best
    return best


def tex_excerpt(text: str, limit: int) -> str:
    """At most ``limit`` characters of the text (about: a formula is never cut) as HTML,
    with an ellipsis when something was left out."""
    point = cut_point(text, limit)
    if point is None:
        return tex_html(text)
    return tex_html(text[:point].rstrip()) + ELLIPSIS


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved out of any formula or text command they fall inside."""
    for token in tokens(text):
        if token.kind == "text":
            continue
        if token.start < start < token.end:
            start = token.start
        if token.start < end < token.end:
            end = token.end
    return start, end
