"""What identifies a paper in an entry: arXiv ids and DOIs found in its fields, and its title
folded to a key that compares equal across case, accents, TeX and punctuation."""

from __future__ import annotations

import re
import unicodedata

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.text import clean_line, clean_name

# An arXiv reference inside free text: a URL (abs, pdf, html), "arXiv:ID", "arXiv ID".
_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2})?/\d{7})(?:v\d+)?"
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html|format)/(?P<url>{_ID})"
    rf"|arxiv(?:\s*(?:e-?print|preprint))?\s*(?::|\s)\s*(?:arxiv\s*:\s*)?(?P<ref>{_ID}))",
    re.IGNORECASE,
)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>{}]+)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
MAX_DOI = 255


def arxiv_id_of(text: str | None) -> str | None:
    """The arXiv id (no version) that ``text`` is or names, if any."""
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > 2000:
        return None
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId:
        pass
    for match in _ARXIV_IN_TEXT.finditer(text):
        candidate = match["url"] or match["ref"]
        try:
            return parse_arxiv_id(candidate.removesuffix(".pdf")).id
        except InvalidArxivId:
            continue
    return None


def doi_of(text: str | None) -> str | None:
    """The DOI in ``text`` (a bare DOI, ``doi:``, a doi.org link), lower-cased, if any."""
    if not text:
        return None
    match = _DOI.search(text[:2000])
    if not match:
        return None
    doi = match[1].rstrip(".,;)]").lower()
    return doi if len(doi) <= MAX_DOI else None


def arxiv_id_of_doi(doi: str | None) -> str | None:
    """arXiv's own DOIs (``10.48550/arXiv.2501.01234``) name the paper's id."""
    if not doi:
        return None
    match = _ARXIV_DOI.match(doi)
    if not match:
        return None
    try:
        return parse_arxiv_id(match["id"]).id
    except InvalidArxivId:
        return None


_TEX_HINT = re.compile(r"[\\{}$~]")
_WORD = re.compile(r"[^\W_]+")
_SIMPLE = re.compile(r"[a-z0-9]+")
MIN_TITLE_WORDS = 2

# TeX as titles hold it, folded by pattern (pylatexenc is exact but ~1 ms a title: too slow
# for a pass over millions of catalogue titles). Both sides are folded by the same rules.
_ACCENT = re.compile(
    r"\\(?:[\"'`^~=.]\s*(?:\{\s*\\?([A-Za-z])\s*\}|\\?([A-Za-z]))"
    r"|[uvHckdbrt]\s*\{\s*\\?([A-Za-z])\s*\})"
)
_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L|i|j)(?![A-Za-z])\s?")
_STYLE = re.compile(
    r"\\(?:emph|text(?:it|bf|sc|rm|tt|sf|up|normal)?|math(?:rm|it|bf|cal|bb|sf|tt|frak)?"
    r"|it|bf|sc|rm|tt|sf|em|boldsymbol|mbox|hbox)(?![A-Za-z])"
)


def clean_title(text: str) -> str:
    """A title for people: TeX accents made letters, braces gone, one line."""
    if "\\" in text:
        return clean_name(text)[:1000]
    return clean_line(text.replace("{", "").replace("}", "").replace("~", " "))[:1000]


def title_key(text: str) -> str:
    """The title folded for comparison: TeX made text, accents and case folded, punctuation
    gone, words joined by one space. ``"{BERT}: Pre-training"`` -> ``"bert pre training"``."""
    if "\\" not in text:
        text = text.replace("{", "").replace("}", "")
        if text.isascii():  # the common case, ~10x faster
            return " ".join(_SIMPLE.findall(text.lower()))[:1000]
    else:
        text = _STYLE.sub(" ", text)
        text = _ACCENT.sub(lambda m: m[1] or m[2] or m[3], text)
        text = _LETTER.sub(r"\1", text).replace("{", "").replace("}", "")
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(folded))[:1000]


def usable_title_key(key: str) -> bool:
    """Whether a key says enough to match on: one word titles ("Introduction") do not."""
    return key.count(" ") + 1 >= MIN_TITLE_WORDS and len(key) >= 8
