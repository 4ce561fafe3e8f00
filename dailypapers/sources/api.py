"""Reader for the arXiv API (``/api/query``, Atom): papers by id and by search query."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from django.conf import settings

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.records import PaperRecord

from .http import PoliteClient, SourceError
from .items import Item
from .xml import ARXIV_ATOM, ATOM, OPENSEARCH, iso_datetime, parse_xml, text

log = logging.getLogger(__name__)

IDS_PER_REQUEST = 100
MAX_PAGE = 2000  # arXiv answers 400 above this
MAX_RESULTS = 30_000  # and will not page further than this
EMPTY_PAGE_RETRIES = 2


class ArxivApiError(SourceError):
    """The API answered with its Atom error entry."""


@dataclass(slots=True)
class Page:
    total: int | None
    start: int | None
    entries: list[tuple[PaperRecord | None, str | None, str]]
    """(record, or why the entry cannot be used, the entry's id as given)."""


def record_from_entry(entry: Element) -> PaperRecord:
    """One ``<entry>`` as a PaperRecord; raises ValueError for an entry that cannot be used."""
    raw_id = (text(entry, f"{ATOM}id") or "").strip()
    if not raw_id:
        raise ValueError("an entry without an id")
    try:
        parsed = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise ValueError(str(exc)) from None
    authors = [
        name
        for author in entry.findall(f"{ATOM}author")
        if (name := (text(author, f"{ATOM}name") or "").strip())
    ]
    categories = [
        term for c in entry.findall(f"{ATOM}category") if (term := c.get("term", "").strip())
    ]
    primary = entry.find(f"{ARXIV_ATOM}primary_category")
    doi = text(entry, f"{ARXIV_ATOM}doi")
    if doi is None:
        for link in entry.findall(f"{ATOM}link"):
            if link.get("title") == "doi" and "doi.org/" in link.get("href", ""):
                doi = link.get("href", "").split("doi.org/", 1)[1]
    return PaperRecord(
        arxiv_id=parsed.id,
        version=parsed.version,
        title=text(entry, f"{ATOM}title"),
        abstract=text(entry, f"{ATOM}summary"),
        authors=authors or None,
        primary_category=primary.get("term") if primary is not None else None,
        categories=categories or None,
        submitted=iso_datetime(text(entry, f"{ATOM}published")),
        updated=iso_datetime(text(entry, f"{ATOM}updated")),
        comments=text(entry, f"{ARXIV_ATOM}comment"),
        journal_ref=text(entry, f"{ARXIV_ATOM}journal_ref"),
        doi=doi,
    )


def _int(element: Element, path: str) -> int | None:
    value = (text(element, path) or "").strip()
    return int(value) if value.isdigit() else None


def parse_page(root: Element, what: str) -> Page:
    """A page of API results; raises ArxivApiError for arXiv's error entry."""
    if root.tag != f"{ATOM}feed":
        raise SourceError(f"{what}: expected an Atom feed, got <{root.tag}>")
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        entry_id = text(entry, f"{ATOM}id") or ""
        if "/api/errors" in entry_id or (text(entry, f"{ATOM}title") or "").strip() == "Error":
            message = " ".join((text(entry, f"{ATOM}summary") or "unknown error").split())
            raise ArxivApiError(f"{what}: arXiv says: {message}")
    page = Page(
        total=_int(root, f"{OPENSEARCH}totalResults"),
        start=_int(root, f"{OPENSEARCH}startIndex"),
        entries=[],
    )
    for entry in entries:
        given = (text(entry, f"{ATOM}id") or "").strip()
        try:
            page.entries.append((record_from_entry(entry), None, given))
        except ValueError as exc:
            page.entries.append((None, str(exc), given))
    return page


def fetch_page(client: PoliteClient, params: dict[str, str | int], what: str) -> Page:
    response = client.get(
        settings.ARXIV_API_URL,
        params,
        accept="application/atom+xml, application/xml;q=0.9",
        allow_status=frozenset({400}),
    )
    root = parse_xml(response, what)
    page = parse_page(root, what)
    if response.status == 400:
        raise ArxivApiError(f"{what}: arXiv answered HTTP 400")
    return page


def fetch_ids(client: PoliteClient, ids: Sequence[str], *, start: int = 0) -> Iterator[Item]:
    """The papers with these ids (latest versions). Ids that are not arXiv ids, and ids arXiv
    does not know, come back as error items; position ``done`` counts the ids handled."""
    for chunk_start in range(start, len(ids), IDS_PER_REQUEST):
        chunk = ids[chunk_start : chunk_start + IDS_PER_REQUEST]
        wanted: dict[str, int] = {}
        items: list[Item] = []
        for offset, given in enumerate(chunk):
            position = {"done": chunk_start + offset + 1}
            try:
                wanted.setdefault(parse_arxiv_id(given).id, offset)
            except InvalidArxivId as exc:
                items.append(Item(position, error=str(exc), where={"id": given[:80]}))
        if wanted:
            page = fetch_page(
                client,
                {"id_list": ",".join(wanted), "max_results": len(wanted), "start": 0},
                "arXiv API",
            )
            found: set[str] = set()
            for record, error, given in page.entries:
                if record is None or record.arxiv_id not in wanted:
                    continue  # an empty or unrelated entry: reported below as not found
                found.add(record.arxiv_id)
                position = {"done": chunk_start + wanted[record.arxiv_id] + 1}
                if error is not None:
                    items.append(Item(position, error=error, where={"id": given}))
                else:
                    items.append(Item(position, record=record, where={"id": record.arxiv_id}))
            for arxiv_id, offset in wanted.items():
                if arxiv_id not in found:
                    items.append(
                        Item(
                            {"done": chunk_start + offset + 1},
                            error=f"arXiv has no paper {arxiv_id}",
                            where={"id": arxiv_id},
                        )
                    )
        items.sort(key=lambda item: int(item.position["done"]))
        # The last item of the chunk carries the chunk's end, so a resume starts after it.
        if items:
            items[-1].position = {"done": chunk_start + len(chunk)}
            items[-1].end_of_batch = True
        yield from items


def search(
    client: PoliteClient,
    query: str,
    *,
    start: int = 0,
    max_results: int = 1000,
    page_size: int | None = None,
    sort_by: str = "submittedDate",
    sort_order: str = "descending",
) -> Iterator[Item]:
    """Papers matching an API ``search_query``, page by page; position ``start`` is the
    offset to go on from."""
    size = max(1, min(page_size or settings.ARXIV_API_PAGE_SIZE, MAX_PAGE))
    limit = min(max_results, MAX_RESULTS)
    total: int | None = None
    while start < limit and (total is None or start < total):
        params: dict[str, str | int] = {
            "search_query": query,
            "start": start,
            "max_results": min(size, limit - start),
            "sortBy": sort_by,
            "sortOrder": sort_order,
        }
        page = fetch_page(client, params, "arXiv API")
        tries = 0
        # A known fault: a page comes back empty (totalResults 0) in the middle of a result.
        while not page.entries and total is not None and start < total:
            tries += 1
            if tries > EMPTY_PAGE_RETRIES:
                raise SourceError(
                    f"arXiv API: the page at {start} of {total} came back empty "
                    f"{tries} times; what came before is kept, run again to go on"
                )
            log.warning("arXiv API: empty page at %d of %d; asking again", start, total)
            page = fetch_page(client, params, "arXiv API")
        if total is None:
            total = page.total or 0
            if total > limit:
                log.info("arXiv API: %d results, reading the first %d", total, limit)
        if not page.entries:
            return
        for offset, (record, error, given) in enumerate(page.entries):
            position = {"start": start + offset + 1}
            last = offset == len(page.entries) - 1
            if record is None:
                where = {"id": given or f"#{start + offset}"}
                yield Item(position, error=error, where=where, end_of_batch=last)
            else:
                where = {"id": record.arxiv_id}
                yield Item(position, record=record, where=where, end_of_batch=last)
        start += len(page.entries)
