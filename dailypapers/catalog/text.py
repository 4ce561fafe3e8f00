"""Normalising the text fields that sources give us."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from papersearch.text import CONTROL_CHARACTERS, fold_text

_LATEX_HINT = re.compile(r"[\\{}~]")

clean_line = fold_text
"""One line of text (a title, a name, a category): control characters removed, runs of white
space made one space. The search core's folding, so that the text a vector key is made from
is the text the catalogue keeps."""


def clean_abstract(text: str) -> str:
    """An abstract as arXiv gives it, hard-wrapped, made into paragraphs.

    arXiv wraps abstracts at ~80 columns and starts a new paragraph with an indented line;
    wrapped lines are joined, paragraphs are separated by a blank line. LaTeX stays as it is
    (the pages render it).
    """
    text = text.translate(CONTROL_CHARACTERS).replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    paragraphs: list[list[str]] = [[]]
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if index > 0 and line[:1] in (" ", "\t") and paragraphs[-1]:
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(" ".join(p).split()) for p in paragraphs if p)


_latex = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


@lru_cache(maxsize=65536)
def _latex_to_text(text: str) -> str:
    try:
        return str(_latex.latex_to_text(text))
    except Exception:  # pylatexenc gives up on some malformed input: keep the original
        return text


def clean_name(name: str) -> str:
    """An author's name with TeX accents made Unicode (``Bal\\'azs`` -> ``Balázs``), NFC."""
    name = clean_line(name)
    if _LATEX_HINT.search(name):
        name = clean_line(_latex_to_text(name))
    return unicodedata.normalize("NFC", name)


_readable_context = get_default_latex_context_db()
_readable_context.add_context_category(
    "dailypapers-text",
    macros=[MacroTextSpec("texttt", "%(1)s"), MacroTextSpec("url", "%(1)s")],
    prepend=True,
)  # pylatexenc drops \\texttt's text and writes \\url{x} as "<x>"
_readable = LatexNodes2Text(
    latex_context=_readable_context, math_mode="text", strict_latex_spaces=False
)
_BARE = re.compile(r"(?<!\\)([&%#])")


@lru_cache(maxsize=65536)
def readable_text(text: str) -> str:
    """Text with its TeX made plain Unicode for places that cannot render math (feeds,
    mail): ``$\\alpha$-stable`` -> ``\u03b1-stable``; accents too; text commands keep their
    text (``\\textbf{x}`` -> ``x``). A bare ``&``, ``%`` or ``#`` is kept as written (TeX
    would read an alignment, a comment, a parameter and drop it). Malformed TeX is kept as
    written."""
    if not _LATEX_HINT.search(text) and "$" not in text:
        return clean_line(text)
    try:
        return clean_line(str(_readable.latex_to_text(_BARE.sub(r"\\\1", text))))
    except Exception:  # pylatexenc gives up on some malformed input: keep the original
        return clean_line(text)
