"""Comments: Markdown with math, rendered to sanitised HTML.

Math (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) is set aside before Markdown sees it,
so underscores and asterisks inside formulas survive, and put back as escaped text that KaTeX
renders in the browser (without JavaScript the source shows)."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

_MATH = re.compile(
    r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|(?<![\\$\w])\$(?!\s)[^$\n]+?(?<!\s)\$(?!\w)",
    re.DOTALL,
)
_md = MarkdownIt("js-default").disable(["image"])  # no raw HTML, no images
ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "del", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}}


def render_markdown(text: str) -> str:
    formulas: list[str] = []

    def stash(match: re.Match[str]) -> str:
        formulas.append(match.group(0))
        return f"\ue000MATH{len(formulas) - 1}\ue001"

    text = text.replace("\ue000", "").replace("\ue001", "")
    rendered = _md.render(_MATH.sub(stash, text))

    def unstash(match: re.Match[str]) -> str:
        return f'<span class="math">{html.escape(formulas[int(match.group(1))])}</span>'

    rendered = re.sub("\ue000MATH(\\d+)\ue001", unstash, rendered)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
