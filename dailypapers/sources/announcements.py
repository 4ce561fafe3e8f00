"""Reader for arXiv's daily announcement feeds (``rss.arxiv.org/atom/<cats>`` or ``/rss/``).

Each entry says how the paper was announced to the requested categories: ``new`` (its primary
category is one of them), ``cross`` (cross-listed), ``replace`` or ``replace-cross`` (a new
version). Feeds are empty on weekends and holidays, which is normal. The records carry the
announcement in ``extra["announcement"]`` for :func:`save_announcements`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from django.conf import settings

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import papers_with_extra

from .http import PoliteClient, SourceError
from .items import Item
from .models import Announcement
from .xml import ARXIV_ATOM, ATOM, DC, iso_datetime, parse_xml, text

ARXIV_RSS = "{http://arxiv.org/schemas/atom}"  # the RSS feed uses the same namespace
_PREAMBLE = re.compile(
    r"^\s*arXiv:\S+\s+Announce\s+Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)
_AND = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
ANNOUNCE_TYPES = {choice.value for choice in Announcement.Type}


@dataclass(slots=True)
class FeedEntry:
    given_id: str
    title: str | None
    summary: str | None
    categories: list[str]
    creators: str | None
    rights: str | None
    announce_type: str | None
    announced: datetime | None


def feed_url(categories: Sequence[str]) -> str:
    return f"{settings.ARXIV_FEED_URL}/{'+'.join(categories)}"


def _rfc2822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None


def _atom_entries(root: Element) -> Iterator[FeedEntry]:
    for entry in root.findall(f"{ATOM}entry"):
        yield FeedEntry(
            given_id=(text(entry, f"{ATOM}id") or "").strip(),
            title=text(entry, f"{ATOM}title"),
            summary=text(entry, f"{ATOM}summary"),
            categories=[c.get("term", "") for c in entry.findall(f"{ATOM}category")],
            creators=text(entry, f"{DC}creator"),
            rights=text(entry, f"{DC}rights"),
            announce_type=text(entry, f"{ARXIV_ATOM}announce_type"),
            announced=iso_datetime(text(entry, f"{ATOM}published")),
        )


def _rss_items(channel: Element) -> Iterator[FeedEntry]:
    for item in channel.findall("item"):
        given = (text(item, "guid") or text(item, "link") or "").strip()
        yield FeedEntry(
            given_id=given,
            title=text(item, "title"),
            summary=text(item, "description"),
            categories=[(text(c) or "").strip() for c in item.findall("category")],
            creators=text(item, f"{DC}creator"),
            rights=text(item, f"{DC}rights"),
            announce_type=text(item, f"{ARXIV_RSS}announce_type"),
            announced=_rfc2822(text(item, "pubDate")),
        )


def parse_feed(root: Element) -> list[FeedEntry]:
    if root.tag == f"{ATOM}feed":
        return list(_atom_entries(root))
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise SourceError("announcements: an RSS document without a <channel>")
        return list(_rss_items(channel))
    raise SourceError(f"announcements: expected an Atom or RSS feed, got <{root.tag}>")


def record_from_entry(entry: FeedEntry, feed: str) -> PaperRecord:
    """One feed entry as a record; raises ValueError for an entry that cannot be used."""
    try:
        parsed = parse_arxiv_id(entry.given_id)
    except InvalidArxivId as exc:
        raise ValueError(str(exc)) from None
    summary = entry.summary or ""
    match = _PREAMBLE.match(summary)
    announce_type = (entry.announce_type or (match["type"] if match else "") or "").strip().lower()
    if announce_type not in ANNOUNCE_TYPES:
        raise ValueError(f"{parsed.id}: unknown announce type {announce_type!r}")
    abstract = summary[match.end() :] if match else summary
    authors = [n.strip() for n in _AND.split(" ".join((entry.creators or "").split()))]
    day: date | None = entry.announced.date() if entry.announced else None
    return PaperRecord(
        arxiv_id=parsed.id,
        version=parsed.version,
        title=entry.title,
        abstract=abstract if abstract.strip() else None,
        authors=[a for a in authors if a] or None,
        categories=[c for c in entry.categories if c.strip()] or None,
        license=entry.rights,
        extra={
            "announcement": {
                "type": announce_type,
                "day": day.isoformat() if day else None,
                "version": parsed.version,
                "feed": feed,
            }
        },
    )


def read_announcements(client: PoliteClient, categories: Sequence[str]) -> Iterator[Item]:
    """Today's announcements for the categories (one request); position ``index``."""
    feed = "+".join(categories)
    response = client.get(
        feed_url(categories), accept="application/atom+xml, application/rss+xml, text/xml"
    )
    entries = parse_feed(parse_xml(response, f"announcements for {feed}"))
    for index, entry in enumerate(entries):
        position = {"index": index + 1, "feed": feed}
        where = {"id": entry.given_id.removeprefix("oai:arXiv.org:")[:80] or f"#{index}"}
        try:
            record = record_from_entry(entry, feed)
        except ValueError as exc:
            yield Item(position, error=str(exc), where=where)
            continue
        yield Item(position, record=record, where=where)


def save_announcements(items: Sequence[Item]) -> int:
    """Keep how each paper was announced on which day (runs inside the batch's transaction)."""
    rows = []
    records = [item.record for item in items if item.record is not None]
    for paper_id, info in papers_with_extra(records, "announcement"):
        if not info.get("day"):
            continue
        rows.append(
            Announcement(
                paper_id=paper_id,
                day=date.fromisoformat(str(info["day"])),
                announce_type=str(info["type"]),
                version=info.get("version") if isinstance(info.get("version"), int) else None,
                feed=str(info.get("feed", ""))[:200],
            )
        )
    Announcement.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["paper", "day"],
        update_fields=["announce_type", "version", "feed"],
    )
    return len(rows)
