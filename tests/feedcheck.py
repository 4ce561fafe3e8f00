"""A strict check of RSS 2.0 and Atom (RFC 4287) documents, for the feed tests.

No maintained feed validator is installable here (none on PyPI, npm or Debian), so this
checks what the specifications require, element by element: RSS 2.0's required channel and
item elements, RFC 822 dates, absolute links, a unique guid per item, the known elements
only (in no namespace); Atom's required feed and entry elements (one id, title and updated
each; an author for every entry), RFC 3339 dates, absolute IRIs, unique ids, at most one
alternate link per type, ``xml:lang`` on the root, the Atom namespace's known elements
only. ``check`` returns the problems found; an empty list means valid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

ATOM = "http://www.w3.org/2005/Atom"
A = "{" + ATOM + "}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2,4} "
    r"\d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])"
)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")

RSS_CHANNEL = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item",
}  # fmt: skip
RSS_ITEM = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", "source",
}  # fmt: skip
ATOM_FEED = {
    "author", "category", "contributor", "generator", "icon", "id", "link", "logo", "rights",
    "subtitle", "title", "updated", "entry",
}  # fmt: skip
ATOM_ENTRY = {
    "author", "category", "content", "contributor", "id", "link", "published", "rights",
    "source", "summary", "title", "updated",
}  # fmt: skip
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _absolute(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def check(body: bytes) -> list[str]:
    root = ET.fromstring(body)  # noqa: S314 (the site's own answer, in a test)
    if root.tag == "rss":
        return check_rss(root)
    if root.tag == A + "feed":
        return check_atom(root)
    return [f"not a feed: <{root.tag}>"]


def check_rss(root: ET.Element) -> list[str]:
    problems: list[str] = []
    if root.get("version") != "2.0":
        problems.append("rss: version is not 2.0")
    channels = root.findall("channel")
    if len(channels) != 1:
        return [*problems, f"rss: {len(channels)} channels"]
    channel = channels[0]
    for child in channel:
        if "}" not in child.tag and child.tag not in RSS_CHANNEL:
            problems.append(f"channel: unknown element <{child.tag}>")
    for name in ("title", "link", "description"):
        if len(channel.findall(name)) != 1:
            problems.append(f"channel: needs exactly one <{name}>")
    if not _text(channel.find("title")):
        problems.append("channel: empty title")
    if not _absolute(_text(channel.find("link"))):
        problems.append("channel: link is not an absolute URL")
    language = _text(channel.find("language"))
    if channel.find("language") is not None and not LANGUAGE.fullmatch(language):
        problems.append(f"channel: bad language {language!r}")
    for name in ("pubDate", "lastBuildDate"):
        problems += _rfc822(f"channel {name}", channel.find(name))
    for link in channel.findall(A + "link"):
        if not _absolute(link.get("href")):
            problems.append("channel: atom:link without an absolute href")
    guids: set[str] = set()
    for number, item in enumerate(channel.findall("item"), 1):
        where = f"item {number}"
        for child in item:
            if "}" not in child.tag and child.tag not in RSS_ITEM:
                problems.append(f"{where}: unknown element <{child.tag}>")
        for name in RSS_ITEM - {"category"}:
            if len(item.findall(name)) > 1:
                problems.append(f"{where}: more than one <{name}>")
        if not (_text(item.find("title")) or _text(item.find("description"))):
            problems.append(f"{where}: needs a title or a description")
        if item.find("link") is not None and not _absolute(_text(item.find("link"))):
            problems.append(f"{where}: link is not an absolute URL")
        guid = item.find("guid")
        if guid is None or not _text(guid):
            problems.append(f"{where}: no guid")
        else:
            value = _text(guid)
            if value in guids:
                problems.append(f"{where}: guid {value!r} repeats")
            guids.add(value)
            if guid.get("isPermaLink", "true") == "true" and not _absolute(value):
                problems.append(f"{where}: a permalink guid that is not an absolute URL")
        author = item.find("author")
        if author is not None and not EMAIL.search(_text(author)):
            problems.append(f"{where}: <author> must hold an email address")
        problems += _rfc822(f"{where} pubDate", item.find("pubDate"))
    return problems


def _rfc822(where: str, element: ET.Element | None) -> list[str]:
    if element is None:
        return []
    text = _text(element)
    if not RFC822.fullmatch(text):
        return [f"{where}: {text!r} is not an RFC 822 date"]
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return [f"{where}: {text!r} is not a date"]
    return []


def _rfc3339(where: str, element: ET.Element | None) -> list[str]:
    text = _text(element)
    return [] if RFC3339.fullmatch(text) else [f"{where}: {text!r} is not an RFC 3339 date"]


def _links(where: str, parent: ET.Element) -> list[str]:
    problems = []
    alternates: set[tuple[str, str]] = set()
    for link in parent.findall(A + "link"):
        if not _absolute(link.get("href")):
            problems.append(f"{where}: a link without an absolute href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type", ""), link.get("hreflang", ""))
            if key in alternates:
                problems.append(f"{where}: more than one alternate link of a type")
            alternates.add(key)
    return problems


def _persons(where: str, parent: ET.Element) -> list[str]:
    return [
        f"{where}: an author without a name"
        for person in parent.findall(A + "author")
        if len(person.findall(A + "name")) != 1 or not _text(person.find(A + "name"))
    ]


def check_atom(root: ET.Element) -> list[str]:
    problems: list[str] = []
    if not LANGUAGE.fullmatch(root.get(XML_LANG, "")):
        problems.append("feed: no xml:lang")
    for child in root:
        if child.tag.startswith(A) and child.tag[len(A) :] not in ATOM_FEED:
            problems.append(f"feed: unknown element <{child.tag}>")
    for name in ("id", "title", "updated"):
        if len(root.findall(A + name)) != 1:
            problems.append(f"feed: needs exactly one <{name}>")
    if not _absolute(_text(root.find(A + "id"))):
        problems.append("feed: id is not an absolute IRI")
    problems += _rfc3339("feed updated", root.find(A + "updated"))
    problems += _links("feed", root)
    problems += _persons("feed", root)
    if not any(link.get("rel") == "self" for link in root.findall(A + "link")):
        problems.append("feed: no self link")
    feed_author = root.find(A + "author") is not None
    ids: set[str] = set()
    for number, entry in enumerate(root.findall(A + "entry"), 1):
        where = f"entry {number}"
        for child in entry:
            if child.tag.startswith(A) and child.tag[len(A) :] not in ATOM_ENTRY:
                problems.append(f"{where}: unknown element <{child.tag}>")
        for name in ("id", "title", "updated"):
            if len(entry.findall(A + name)) != 1:
                problems.append(f"{where}: needs exactly one <{name}>")
        for name in ("summary", "content", "published", "rights", "source"):
            if len(entry.findall(A + name)) > 1:
                problems.append(f"{where}: more than one <{name}>")
        value = _text(entry.find(A + "id"))
        if not _absolute(value):
            problems.append(f"{where}: id is not an absolute IRI")
        if value in ids:
            problems.append(f"{where}: id {value!r} repeats")
        ids.add(value)
        if not _text(entry.find(A + "title")):
            problems.append(f"{where}: empty title")
        problems += _rfc3339(f"{where} updated", entry.find(A + "updated"))
        if entry.find(A + "published") is not None:
            problems += _rfc3339(f"{where} published", entry.find(A + "published"))
        problems += _links(where, entry)
        problems += _persons(where, entry)
        if not feed_author and entry.find(A + "author") is None:
            problems.append(f"{where}: no author (and the feed has none)")
        if entry.find(A + "content") is None and not any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall(A + "link")
        ):
            problems.append(f"{where}: neither content nor an alternate link")
    return problems


def read(response: object, kind: str) -> object:
    """A feed response read as a feed reader does (feedparser), after the strict check: it
    must parse without a problem (``bozo`` 0) as the kind asked for."""
    import feedparser

    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    assert status == 200, status
    body: bytes = getattr(response, "content", b"")
    problems = check(body)
    assert not problems, problems
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version.startswith(kind), parsed.version
    return parsed
