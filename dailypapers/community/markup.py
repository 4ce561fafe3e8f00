"""Comments: Markdown with math, rendered to sanitised HTML; plain text (an abstract) with its
web addresses made links.

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
LINK_REL = "nofollow noopener ugc"
_URL = re.compile(
    r"(?<![\w@/.-])(?:https?://|www\.)[^\s<>\"'`{}|\\^\x00-\x1f\x7f\ue000\ue001]+", re.IGNORECASE
)
_TRAILING = ".,;:!?'\"*_~"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_MAX_URL = 2000
_TAG = re.compile(r"(<[^>]*>)")
_NO_LINKS_IN = re.compile(r"<(/?)(a|code|pre)\b|<(/?)span\b")


def _tidy(url: str) -> str:
    """The address without the punctuation that ends the sentence around it."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(_PAIRS[last]) < url.count(last):
            url = url[:-1]  # an unmatched closing bracket belongs to the sentence
        else:
            break
    return url


def _link_text(text: str) -> str:
    """Plain text as HTML: escaped, with http(s) and www. addresses made links."""
    out: list[str] = []
    at = 0
    for match in _URL.finditer(text):
        url = _tidy(match.group())
        if "." not in url.split("://", 1)[-1].split("/", 1)[0] or len(url) > _MAX_URL:
            continue
        href = url if "://" in url else "https://" + url
        out.append(html.escape(text[at : match.start()]))
        out.append(f'<a href="{html.escape(href)}" rel="{LINK_REL}">{html.escape(url)}</a>')
        at = match.start() + len(url)
    out.append(html.escape(text[at:]))
    return "".join(out)


def linkify_text(text: str) -> str:
    """An abstract (plain text with TeX) as HTML: escaped, addresses made links, formulas
    left whole for KaTeX (a link is never put inside one)."""
    out: list[str] = []
    at = 0
    for match in _MATH.finditer(text):
        out.append(_link_text(text[at : match.start()]))
        out.append(html.escape(match.group()))
        at = match.end()
    out.append(_link_text(text[at:]))
    return "".join(out)


def linkify_html(rendered: str) -> str:
    """Addresses in the text of rendered Markdown made links, except inside links, code and
    formulas (the only ``span`` the renderer writes)."""
    depth = 0
    out: list[str] = []
    for part in _TAG.split(rendered):
        if part.startswith("<"):
            tag = _NO_LINKS_IN.match(part)
            if tag:
                depth += -1 if (tag.group(1) or tag.group(3)) else 1
            out.append(part)
        elif depth == 0 and part:
            out.append(_link_text(html.unescape(part)))
        else:
            out.append(part)
    return "".join(out)


def render_markdown(text: str) -> str:
    formulas: list[str] = []

    def stash(match: re.Match[str]) -> str:
        formulas.append(match.group(0))
        return f"\ue000MATH{len(formulas) - 1}\ue001"

    text = text.replace("\ue000", "").replace("\ue001", "")
    rendered = _md.render(_MATH.sub(stash, text))

    def unstash(match: re.Match[str]) -> str:
        return f'<span class="math">{html.escape(formulas[int(match.group(1))])}</span>'

    rendered = linkify_html(re.sub("\ue000MATH(\\d+)\ue001", unstash, rendered))
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
    )
