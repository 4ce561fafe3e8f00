"""Reading the XML that arXiv sends, safely (no entity expansion, no external entities)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .http import Response, SourceError

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_ATOM = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def looks_like_html(response: Response) -> bool:
    head = response.content[:512].lstrip().lower()
    return response.content_type in {"text/html", "application/xhtml+xml"} or head.startswith(
        (b"<!doctype html", b"<html")
    )


def parse_xml(response: Response, what: str) -> Element:
    """The root element of an XML answer; raises SourceError saying what is wrong with it."""
    if looks_like_html(response):
        raise SourceError(
            f"{what}: the server answered with an HTML page instead of XML "
            f"({response.url}); is the URL setting right, or is the service down?"
        )
    if not response.content.strip():
        raise SourceError(f"{what}: the answer is empty ({response.url})")
    try:
        return fromstring(response.content)
    except DefusedXmlException as exc:
        raise SourceError(f"{what}: refused unsafe XML ({exc})") from None
    except ParseError as exc:
        line, column = exc.position
        raise SourceError(
            f"{what}: the XML is malformed or cut short (line {line}, column {column}); "
            "nothing from this answer was used"
        ) from None


def text(element: Element | None, path: str | None = None) -> str | None:
    """The text inside an element (all of it, nested markup included), or None if absent."""
    if element is not None and path is not None:
        element = element.find(path)
    if element is None:
        return None
    return "".join(element.itertext())


def iso_datetime(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
