"""arXiv identifiers: parsing, validation and normalisation.

Two styles exist (https://info.arxiv.org/help/arxiv_identifier.html):

* new style ``YYMM.NNNN`` (2007-04 to 2014-12) and ``YYMM.NNNNN`` (from 2015-01);
* old style ``archive(.SUBJ)?/YYMMNNN`` such as ``hep-th/9901001`` or ``math.GT/0309136``.

Either may end in a version suffix ``vN``. The catalogue keys papers by the id without
version; an old-style id is kept without its subject class (``math/0309136``), as arXiv does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW = re.compile(r"(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})(?:v(?P<version>\d+))?")
_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2})?/"
    r"(?P<yy>\d{2})(?P<mm>\d{2})(?P<num>\d{3})(?:v(?P<version>\d+))?"
)
# Prefixes and URL shapes people paste: arXiv:ID, oai:arXiv.org:ID, https://arxiv.org/abs/ID,
# /pdf/ID(.pdf), /html/ID, export.arxiv.org, hf.co/papers/ID ...
_PREFIX = re.compile(
    r"^(?:arxiv:|oai:arxiv\.org:|"
    r"(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org|huggingface\.co|hf\.co)/"
    r"(?:abs|pdf|html|papers|format)/)",
    re.IGNORECASE,
)
MAX_ID_TEXT = 200


class InvalidArxivId(ValueError):
    """The text is not an arXiv identifier; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str
    """The identifier without version: ``2501.01234`` or ``hep-th/9901001``."""
    version: int | None = None

    @property
    def is_old_style(self) -> bool:
        return "/" in self.id

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def _check_month(yy: str, mm: str, text: str) -> None:
    if not 1 <= int(mm) <= 12:
        raise InvalidArxivId(f"{text!r} is not an arXiv id: month {mm} does not exist")


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an arXiv id, an ``arXiv:`` reference or an arxiv.org URL.

    Raises InvalidArxivId with a message fit to show a user.
    """
    if not isinstance(text, str):
        raise InvalidArxivId("an arXiv id must be text")
    raw = text.strip()
    if not raw:
        raise InvalidArxivId("the arXiv id is empty")
    if len(raw) > MAX_ID_TEXT:
        raise InvalidArxivId("that is far too long to be an arXiv id")
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    candidate = _PREFIX.sub("", raw)
    candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]

    match = _NEW.fullmatch(candidate)
    if match:
        _check_month(match["yy"], match["mm"], shown)
        yymm = int(match["yy"] + match["mm"])
        if yymm < 704:
            raise InvalidArxivId(
                f"{shown!r} is not an arXiv id: new-style ids start in April 2007 (0704)"
            )
        digits = 5 if yymm >= 1501 else 4
        if len(match["num"]) != digits:
            raise InvalidArxivId(
                f"{shown!r} is not an arXiv id: ids of {match['yy']}{match['mm']} have "
                f"{digits} digits after the dot"
            )
        version = int(match["version"]) if match["version"] else None
        if version == 0:
            raise InvalidArxivId(f"{shown!r} is not an arXiv id: versions start at v1")
        return ArxivId(f"{match['yy']}{match['mm']}.{match['num']}", version)

    match = _OLD.fullmatch(candidate)
    if match:
        _check_month(match["yy"], match["mm"], shown)
        version = int(match["version"]) if match["version"] else None
        if version == 0:
            raise InvalidArxivId(f"{shown!r} is not an arXiv id: versions start at v1")
        return ArxivId(f"{match['archive']}/{match['yy']}{match['mm']}{match['num']}", version)

    raise InvalidArxivId(
        f"{shown!r} is not an arXiv id (expected something like 2501.01234, "
        "hep-th/9901001 or https://arxiv.org/abs/2501.01234)"
    )


def normalize_arxiv_id(text: str) -> str:
    """The catalogue key (no version) of an id or URL; raises InvalidArxivId."""
    return parse_arxiv_id(text).id
