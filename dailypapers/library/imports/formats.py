"""Reading the files readers bring: BibTeX (bibtexparser), RIS (rispy), CSL-JSON (Zotero's
JSON export) and a pasted list of arXiv ids, arXiv links or DOIs.

Each reader turns a text into ``Entry`` values in file order: what was recognised (key, title,
ids) or why an entry could not be read, with the line it starts on. A file that cannot be
read at all raises ``Unreadable`` with a message for the reader, naming the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .matching import arxiv_id_of, arxiv_id_of_doi, clean_title, doi_of

BIBTEX = "bibtex"
RIS = "ris"
CSL_JSON = "csl-json"
IDS = "ids"
NAMES = {BIBTEX: "BibTeX", RIS: "RIS", CSL_JSON: "CSL-JSON", IDS: "a list of ids"}


class Unreadable(ValueError):
    """The file cannot be read as the format chosen; the message says why (and where)."""


@dataclass(slots=True)
class Entry:
    line: int | None
    key: str = ""
    title: str = ""
    arxiv_id: str | None = None
    doi: str | None = None
    error: str = ""
    """Why this entry could not be read (the others still are)."""


MAX_BYTES = 20_000_000
"""The largest file read: a 5,000-entry Zotero export with abstracts is about 5 MB."""
MAX_ENTRIES = 10_000


def max_bytes() -> int:
    return MAX_BYTES


def max_entries() -> int:
    return MAX_ENTRIES


# --- bytes to text ---------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an upload; raises Unreadable for an empty, binary or overlong one."""
    limit = max_bytes()
    if len(data) > limit:
        raise Unreadable(
            f"The file is {len(data) / 1e6:.1f} MB; at most {limit / 1e6:.0f} MB can be "
            "imported at once. Split it into smaller files."
        )
    if b"\x00" in data:
        where = data.index(b"\x00")
        line = data.count(b"\n", 0, where) + 1
        raise Unreadable(
            f"This is not a text file (a NUL byte on line {line}): export your library as "
            "BibTeX, RIS or CSL-JSON and upload that."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise Unreadable(
                f"Line {line} is not UTF-8 text: save the file as UTF-8 and try again."
            ) from None
    return check_text(text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def check_text(text: str) -> str:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Unreadable(f"The text holds a NUL character on line {line}.")
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes():
        raise Unreadable(f"That is more than {max_bytes() / 1e6:.0f} MB of text.")
    if not text.strip():
        raise Unreadable("The file is empty.")
    controls = len(_CONTROL.findall(text[:65536]))
    if controls > 20:
        raise Unreadable(
            "This does not look like a text file (it is full of control characters): export "
            "your library as BibTeX, RIS or CSL-JSON and upload that."
        )
    return text


def guess(text: str) -> str:
    """Which format a text looks like (for the error when another was chosen)."""
    head = text.lstrip()[:4096]
    if head[:1] in "[{":
        return CSL_JSON
    if RIS_START.search(head):
        return RIS
    if BIBTEX_START.search(head):
        return BIBTEX
    return IDS


BIBTEX_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
RIS_START = re.compile(r"^TY  - ", re.MULTILINE)


def wrong_format(chosen: str, text: str) -> Unreadable:
    looks = guess(text)
    found = {
        BIBTEX: "No BibTeX entries (such as @article{key, ...}) were found",
        RIS: "No RIS records (lines from 'TY  - ' to 'ER  - ') were found",
        CSL_JSON: "This is not CSL-JSON",
        IDS: "No arXiv ids, arXiv links or DOIs were found",
    }[chosen]
    if looks not in (chosen, IDS):
        return Unreadable(f"{found}: the file looks like {NAMES[looks]}. Choose that format.")
    return Unreadable(f"{found} in the file.")


def read(fmt: str, text: str) -> Iterator[Entry]:
    """The entries of ``text`` read as ``fmt``; raises Unreadable (before any entry) for a
    file that cannot be read at all or holds more entries than allowed."""
    readers: dict[str, Callable[[str], list[Entry]]] = {
        BIBTEX: read_bibtex,
        RIS: read_ris,
        CSL_JSON: read_csl_json,
        IDS: read_ids,
    }
    if fmt not in readers:
        raise Unreadable(f"Unknown format {fmt[:20]!r}.")
    entries = readers[fmt](check_text(text))
    if not entries:
        raise wrong_format(fmt, text)
    if all(e.error for e in entries) and fmt != IDS:
        first = entries[0]
        raise Unreadable(f"Nothing in the file could be read. {first.error}")
    limit = max_entries()
    if len(entries) > limit:
        raise Unreadable(
            f"The file holds {len(entries):,} entries; at most {limit:,} can be imported at "
            "once. Split it into smaller files."
        )
    yield from entries


# --- BibTeX ----------------------------------------------------------------------------------

_BIB_ID_FIELDS = ("eprint", "arxiv", "arxivid", "arxiv_id")
_BIB_TEXT_FIELDS = ("url", "note", "howpublished", "journal", "journaltitle", "eprint", "number")


def _bib_entry(fields: dict[str, str], key: str, line: int) -> Entry:
    def get(name: str) -> str:
        return fields.get(name, "").strip()

    arxiv_id = None
    prefix = (get("archiveprefix") or get("eprinttype")).lower()
    for name in _BIB_ID_FIELDS:
        if get(name) and (name != "eprint" or prefix in ("", "arxiv")):
            arxiv_id = arxiv_id_of(get(name))
            if arxiv_id:
                break
    doi = doi_of(get("doi"))
    if arxiv_id is None:
        arxiv_id = arxiv_id_of_doi(doi)
    if arxiv_id is None:
        for name in _BIB_TEXT_FIELDS:
            if name == "eprint" and prefix not in ("", "arxiv"):
                continue
            arxiv_id = arxiv_id_of(get(name))
            if arxiv_id:
                break
    if doi is None:
        doi = doi_of(get("url")) if "doi.org/" in get("url") else None
    return Entry(line, key=key[:255], title=clean_title(get("title")), arxiv_id=arxiv_id, doi=doi)


def _bib_error(text: str, line: int, error: Exception | None) -> str:
    reason = " ".join(str(getattr(error, "abort_reason", "") or error or "").split())
    end = getattr(error, "end_index", None)
    where = f"Line {line}"
    if isinstance(end, int) and end >= 0:
        last = text.count("\n", 0, max(end - 1, 0)) + 1
        if last > line:
            where = f"Lines {line}-{last}"
    what = reason.rstrip(". ") or "a syntax error"
    return f"{where}: this entry could not be read: {what}."[:500]


def read_bibtex(text: str) -> list[Entry]:
    from bibtexparser import model
    from bibtexparser.entrypoint import parse_string

    library = parse_string(text)
    entries: list[Entry] = []
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        # A duplicate key is reported by bibtexparser as a failed block holding the entry.
        entry = (
            block if isinstance(block, model.Entry) else getattr(block, "ignore_error_block", None)
        )
        if isinstance(entry, model.Entry):
            fields = {f.key.lower(): str(f.value) for f in entry.fields}
            entries.append(_bib_entry(fields, entry.key, line))
        elif isinstance(block, model.ParsingFailedBlock):
            entries.append(Entry(line, error=_bib_error(text, line, block.error)))
    return entries


# --- RIS ------------------------------------------------------------------------------------

_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")


def _ris_records(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line, the record's lines or None, why not) for each record, splitting at TY/ER."""
    record: list[str] | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        tag = line[:2] if _RIS_TAG.match(line) else None
        if record is None:
            if tag == "TY":
                record, start = [line], number
            elif line.strip() and tag is not None:
                yield number, None, f"Line {number}: '{line[:40]}' is outside a record"
            continue
        if tag == "TY":
            yield start, None, f"Line {start}: the record has no end ('ER  - ' line)"
            record, start = [line], number
            continue
        record.append(line)
        if tag == "ER":
            yield start, record, ""
            record = None
    if record is not None:
        yield start, None, f"Line {start}: the record has no end ('ER  - ' line)"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _first_id(values: Iterable[str]) -> str | None:
    for value in values:
        found = arxiv_id_of(value)
        if found:
            return found
    return None


def read_ris(text: str) -> list[Entry]:
    from rispy import RisParser

    entries: list[Entry] = []
    for line, lines, why in _ris_records(text):
        if lines is None:
            entries.append(Entry(line, error=why))
            continue
        try:
            parsed = RisParser().parse_lines(iter([*lines, ""]))
        except Exception as exc:  # rispy's own errors name no line: say where the record is
            entries.append(Entry(line, error=f"Line {line}: {exc}"[:400]))
            continue
        if not parsed:
            entries.append(Entry(line, error=f"Line {line}: the record could not be read"))
            continue
        record = parsed[0]
        title = str(record.get("title") or record.get("primary_title") or "")
        doi = doi_of(str(record.get("doi") or ""))
        arxiv_id = arxiv_id_of_doi(doi) or _first_id(
            _strings(
                [
                    record.get(k)
                    for k in (
                        "urls",
                        "notes",
                        "note",
                        "type_of_work",
                        "journal_name",
                        "secondary_title",
                        "number",
                        "unknown_tag",
                        "id",
                    )
                ]
            )
        )
        key = str(record.get("id") or "")
        entries.append(
            Entry(line, key=key[:255], title=clean_title(title), arxiv_id=arxiv_id, doi=doi)
        )
    return entries


# --- CSL-JSON --------------------------------------------------------------------------------


def read_csl_json(text: str) -> list[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            f"This is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    except RecursionError:
        raise Unreadable("This JSON is nested too deeply to be a CSL-JSON export.") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if isinstance(data, dict) and ("title" in data or "type" in data):
        data = [data]
    if not isinstance(data, list):
        raise Unreadable(
            "This JSON is not a CSL-JSON export: expected a list of items ([{...}, ...])."
        )
    entries: list[Entry] = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            entries.append(Entry(None, error=f"Item {number} is not an object"))
            continue

        def get(name: str, item: dict[str, Any] = item) -> str:
            value = item.get(name)
            return value.strip() if isinstance(value, str) else ""

        doi = doi_of(get("DOI"))
        arxiv_id = arxiv_id_of_doi(doi)
        if arxiv_id is None and get("archive").lower() == "arxiv":
            arxiv_id = arxiv_id_of(get("archive_location")) or arxiv_id_of(get("number"))
        if arxiv_id is None:
            arxiv_id = _first_id(
                get(k) for k in ("URL", "number", "note", "archive_location", "container-title")
            )
        key = get("citation-key") or get("id") or str(item.get("id") or "")
        entries.append(
            Entry(None, key=key[:255], title=clean_title(get("title")), arxiv_id=arxiv_id, doi=doi)
        )
    return entries


# --- a pasted list ---------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;]+")


def read_ids(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for raw in _SEPARATORS.split(stripped):
            token = raw.strip("<>()[]\"'")
            if not token:
                continue
            doi = doi_of(token) if "10." in token else None
            arxiv_id = arxiv_id_of_doi(doi) if doi else arxiv_id_of(token)
            if arxiv_id is None and doi is None:
                shown = token if len(token) <= 60 else token[:57] + "..."
                entries.append(
                    Entry(
                        number,
                        key=shown,
                        error=(
                            f"Line {number}: {shown!r} is neither an arXiv id, an arXiv link "
                            "nor a DOI"
                        ),
                    )
                )
                continue
            entries.append(Entry(number, key=token[:255], arxiv_id=arxiv_id, doi=doi))
    return entries
