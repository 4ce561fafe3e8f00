"""A paper as a BibTeX entry and as a CSL-JSON item: pure conversions, no database.

Both keep what a reader needs to cite and to bring the paper back (an import reads these
files with the same parsers): the title as written (LaTeX, accents, braces), every author in
order, the date, the arXiv id, the DOI, the abstract and the reader's note.

BibTeX is written by ``bibtexparser``; values are UTF-8 as the catalogue holds them (no
LaTeX accent encoding). Two things BibTeX cannot hold are made safe, and are the only
changes a round trip shows: a brace without its partner is escaped (``\\}``, which LaTeX
prints as a brace), and a line that starts with ``@`` gets an empty group before it
(``{}@``), which would otherwise start a new entry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bibtexparser import model
from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library

# Lower-case words that belong to the family name ("Ludwig van Beethoven").
PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "du",
        "des",
        "la",
        "le",
        "ter",
        "ten",
        "zu",
        "dos",
        "das",
        "do",
        "bin",
        "ibn",
        "al",
    ]
)
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


@dataclass(frozen=True)
class Cited:
    """What an export needs of a paper (``Paper`` has these fields) and the reader's note."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str = ""
    doi: str = ""
    submitted: datetime | None = None
    primary_category: str = ""
    note: str = ""

    @classmethod
    def of(cls, paper: Any, note: str = "") -> Cited:
        return cls(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            authors=tuple(paper.author_names or ()),
            abstract=paper.abstract or "",
            doi=paper.doi or "",
            submitted=paper.submitted,
            primary_category=paper.primary_category or "",
            note=note,
        )

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


# --- BibTeX ---------------------------------------------------------------------------------


def bibtex_key(arxiv_id: str) -> str:
    """``arXiv:2501.01234``; an old-style id's slash becomes an underscore."""
    return "arXiv:" + re.sub(r"[^A-Za-z0-9.\-_:]", "_", arxiv_id)


def _balanced(text: str) -> str:
    """The text with every brace that has no partner escaped, so the value's braces nest."""
    out: list[str] = []
    opened: list[int] = []  # positions in ``out`` of braces not yet closed
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        if ch == "{":
            opened.append(len(out))
            out.append(ch)
        elif ch == "}":
            if opened:
                opened.pop()
                out.append(ch)
            else:
                out.append("\\}")
        else:
            out.append(ch)
        i += 1
    for position in opened:
        out[position] = "\\{"
    if out and out[-1] == "\\":  # a trailing backslash would escape the closing brace
        out[-1] = "\\textbackslash{}"
    return "".join(out)


def bibtex_value(text: str) -> str:
    value = _balanced(text)
    return re.sub(r"(^|\n)([ \t]*)@", r"\1\2{}@", value)


def bibtex_name(name: str) -> str:
    """A name BibTeX reads as one person: a comma or an "and" inside it is protected."""
    if "," in name or re.search(r"\band\b", name, re.IGNORECASE):
        return "{" + name.replace("{", "").replace("}", "") + "}"
    return bibtex_value(name)


def bibtex_entry(cited: Cited) -> model.Entry:
    fields = [
        ("title", bibtex_value(cited.title)),
        ("author", " and ".join(bibtex_name(a) for a in cited.authors if a.strip())),
        ("year", str(cited.submitted.year) if cited.submitted else ""),
        ("month", str(cited.submitted.month) if cited.submitted else ""),
        ("eprint", cited.arxiv_id),
        ("archiveprefix", "arXiv"),
        ("primaryclass", cited.primary_category),
        ("doi", cited.doi),
        ("url", cited.url),
        ("abstract", bibtex_value(cited.abstract)),
        ("note", bibtex_value(cited.note)),
    ]
    return model.Entry(
        "misc", bibtex_key(cited.arxiv_id), [model.Field(k, v) for k, v in fields if v]
    )


def to_bibtex(papers: Iterable[Cited]) -> str:
    library = Library()
    seen: set[str] = set()
    for cited in papers:
        entry = bibtex_entry(cited)
        if entry.key in seen:
            continue
        seen.add(entry.key)
        library.add(entry)
    return write_string(library)


# --- CSL-JSON -------------------------------------------------------------------------------


def csl_name(name: str) -> dict[str, str]:
    """``{"family", "given"}`` (``"suffix"`` for Jr., III, ...); a single word is a family
    name alone. Given, family and suffix joined by spaces give the name back."""
    words = name.split()
    if not words:
        return {"literal": name}
    suffix = ""
    if len(words) > 2 and words[-1].lower() in SUFFIXES:
        suffix = words.pop()
    start = len(words) - 1
    while start > 1 and words[start - 1] in PARTICLES:
        start -= 1
    parts = {"family": " ".join(words[start:]), "given": " ".join(words[:start])}
    if not parts["given"]:
        del parts["given"]
    if suffix:
        parts["suffix"] = suffix
    return parts


def csl_item(cited: Cited) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": cited.arxiv_id,
        "type": "article",
        "title": cited.title,
        "author": [csl_name(a) for a in cited.authors if a.strip()],
        "URL": cited.url,
        "number": cited.arxiv_id,
        "archive": "arXiv",
        "publisher": "arXiv",
    }
    if cited.submitted:
        d = cited.submitted
        item["issued"] = {"date-parts": [[d.year, d.month, d.day]]}
    if cited.doi:
        item["DOI"] = cited.doi
    if cited.abstract:
        item["abstract"] = cited.abstract
    if cited.note:
        item["note"] = cited.note
    return item


def to_csl_json(papers: Iterable[Cited]) -> str:
    return json.dumps([csl_item(c) for c in papers], ensure_ascii=False, indent=2) + "\n"
