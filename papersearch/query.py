"""The query language: words, "phrases", -exclusions, author: and cat: prefixes.

``parse`` turns what a reader typed into a ``ParsedQuery``; ``tantivy_text`` writes its text
part in tantivy's query syntax with every word reduced to letters and digits, so no input
can make the parser fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S+))')
_WORD = re.compile(r"\w+")
_CATEGORY = re.compile(r"[\w.\-]+")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def free_text(self) -> str:
        """The words and phrases, for the dense side to embed."""
        return " ".join((*self.phrases, *self.words))

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def has_constraints(self) -> bool:
        """Whether some part must (or must not) match literally."""
        return bool(self.phrases or self.excluded or self.authors)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.has_constraints)


def _clean(text: str) -> str:
    return " ".join(_WORD.findall(text))


def parse(query: str) -> ParsedQuery:
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    authors: list[str] = []
    categories: list[str] = []
    for match in _TOKEN.finditer(query):
        negated, prefix, quoted, bare = match.groups()
        raw = quoted if quoted is not None else bare or ""
        key = (prefix or "").lower()
        if key in {"author", "au", "authors"}:
            name = _clean(raw)
            if name:
                (excluded if negated else authors).append(f"authors:{name}")
            continue
        if key in {"cat", "category"}:
            code = "".join(_CATEGORY.findall(raw))
            if code and not negated:
                categories.append(code)
            continue
        if prefix:  # an unknown prefix is just more words
            raw = f"{prefix} {raw}"
        text = _clean(raw)
        if not text:
            continue
        if negated:
            excluded.append(text)
        elif quoted is not None and " " in text:
            phrases.append(text)
        else:
            words.extend(text.split())
    return ParsedQuery(
        tuple(words), tuple(phrases), tuple(excluded), tuple(authors), tuple(categories)
    )


def _quoted(text: str) -> str:
    field, _, value = text.rpartition(":") if text.startswith("authors:") else ("", "", text)
    return f'{field}:"{value}"' if field else f'"{value}"'


def tantivy_text(parsed: ParsedQuery) -> str:
    """The scoring part: optional words, required phrases and authors."""
    parts = [w.lower() for w in parsed.words]  # AND, OR, NOT, IN are operators to tantivy
    parts += [f"+{_quoted(p)}" for p in parsed.phrases]
    parts += [f"+{_quoted(a)}" for a in parsed.authors]
    return " ".join(parts)


def tantivy_exclusions(parsed: ParsedQuery) -> list[str]:
    """One query string per exclusion (each must not match)."""
    return [_quoted(e) for e in parsed.excluded]


def tantivy_constraints(parsed: ParsedQuery) -> str:
    """The literal requirements alone (phrases and authors), for checking dense candidates."""
    return " ".join(
        [f"+{_quoted(p)}" for p in parsed.phrases] + [f"+{_quoted(a)}" for a in parsed.authors]
    )
