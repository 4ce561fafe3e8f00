"""Reader for arXiv's OAI-PMH interface (``ListRecords`` in the ``arXiv`` or ``arXivRaw``
metadata formats), following resumption tokens.

Each item's position names the page it came from (the token that fetched it, or none for the
first page) and how many records of that page are done, so an interrupted harvest resumes on
the same page. Tokens expire (daily at arXiv): resuming with an expired one starts the harvest
again from its ``from`` date, which is safe because upserts are idempotent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element

from django.conf import settings

from dailypapers.catalog.records import PaperRecord

from .http import PoliteClient, SourceError
from .items import Item
from .xml import parse_xml, text

log = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
FORMATS = ("arXiv", "arXivRaw")
_AND = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


class OaiError(SourceError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code


class ExpiredToken(OaiError):
    """``badResumptionToken``: the token expired or was never valid."""


@dataclass(slots=True)
class OaiRecord:
    identifier: str
    datestamp: str
    deleted: bool = False
    record: PaperRecord | None = None
    error: str | None = None


@dataclass(slots=True)
class OaiPage:
    response_date: str
    records: list[OaiRecord]
    token: str | None
    """The token for the next page; None on the last page."""


def _date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        return datetime.strptime(value.strip()[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _rfc2822(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _record(
    meta: Element,
    ns: str,
    *,
    authors: list[str],
    version: int | None = None,
    submitted: datetime | None,
    updated: datetime | None,
) -> PaperRecord:
    """The record of either format: the fields both write alike, around what each format
    gives its own way (authors, versions and dates)."""
    arxiv_id = (text(meta, f"{ns}id") or "").strip()
    if not arxiv_id:
        raise ValueError("a record without an id")
    categories = (text(meta, f"{ns}categories") or "").split()
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=text(meta, f"{ns}title"),
        abstract=text(meta, f"{ns}abstract"),
        authors=authors or None,
        categories=categories or None,
        primary_category=categories[0] if categories else None,
        submitted=submitted,
        updated=updated,
        comments=text(meta, f"{ns}comments"),
        journal_ref=text(meta, f"{ns}journal-ref"),
        doi=text(meta, f"{ns}doi"),
        report_no=text(meta, f"{ns}report-no"),
        license=text(meta, f"{ns}license"),
    )


def record_from_arxiv(meta: Element) -> PaperRecord:
    """The ``arXiv`` format: authors split into keyname and forenames, dates without time."""
    ns = ARXIV
    authors = []
    for author in meta.findall(f"{ns}authors/{ns}author"):
        parts = [
            (text(author, f"{ns}{part}") or "").strip()
            for part in ("forenames", "keyname", "suffix")
        ]
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(name)
    created = _date(text(meta, f"{ns}created"))
    return _record(
        meta,
        ns,
        authors=authors,
        submitted=created,
        updated=_date(text(meta, f"{ns}updated")) or created,
    )


def record_from_arxiv_raw(meta: Element) -> PaperRecord:
    """The ``arXivRaw`` format: every version with its date, authors as one string."""
    ns = ARXIV_RAW
    versions: list[tuple[int, datetime | None]] = []
    for version in meta.findall(f"{ns}version"):
        number = version.get("version", "").lstrip("v")
        if number.isdigit():
            versions.append((int(number), _rfc2822(text(version, f"{ns}date"))))
    versions.sort(key=lambda pair: pair[0])
    raw_authors = " ".join((text(meta, f"{ns}authors") or "").split())
    return _record(
        meta,
        ns,
        authors=[name for name in _AND.split(raw_authors) if name.strip()],
        version=versions[-1][0] if versions else None,
        submitted=versions[0][1] if versions else None,
        updated=versions[-1][1] if versions else None,
    )


def parse_page(root: Element) -> OaiPage:
    if root.tag != f"{OAI}OAI-PMH":
        raise SourceError(f"OAI-PMH: expected an <OAI-PMH> answer, got <{root.tag}>")
    response_date = (text(root, f"{OAI}responseDate") or "").strip()
    error = root.find(f"{OAI}error")
    if error is not None:
        code = error.get("code", "unknown")
        message = " ".join((text(error) or "").split()) or code
        if code == "noRecordsMatch":
            return OaiPage(response_date, [], None)
        if code == "badResumptionToken":
            raise ExpiredToken(code, message)
        raise OaiError(code, message)
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise SourceError("OAI-PMH: the answer has neither <ListRecords> nor <error>")
    records: list[OaiRecord] = []
    for node in listing.findall(f"{OAI}record"):
        header = node.find(f"{OAI}header")
        identifier = (text(header, f"{OAI}identifier") or "").strip()
        oai_record = OaiRecord(identifier, (text(header, f"{OAI}datestamp") or "").strip())
        if header is not None and header.get("status") == "deleted":
            oai_record.deleted = True
            records.append(oai_record)
            continue
        metadata = node.find(f"{OAI}metadata")
        meta = None if metadata is None else next(iter(metadata), None)
        try:
            if meta is None:
                raise ValueError("a record without metadata")
            if meta.tag == f"{ARXIV}arXiv":
                oai_record.record = record_from_arxiv(meta)
            elif meta.tag == f"{ARXIV_RAW}arXivRaw":
                oai_record.record = record_from_arxiv_raw(meta)
            else:
                raise ValueError(f"metadata in a format this reader does not know: <{meta.tag}>")
        except ValueError as exc:
            oai_record.error = str(exc)
        records.append(oai_record)
    token_node = listing.find(f"{OAI}resumptionToken")
    token = (text(token_node) or "").strip() if token_node is not None else ""
    return OaiPage(response_date, records, token or None)


@dataclass
class Harvest:
    """One ``ListRecords`` harvest; iterate ``items()``. Counts deleted records as it goes."""

    client: PoliteClient
    metadata_prefix: str = "arXiv"
    set_spec: str | None = None
    from_date: str | None = None
    token: str | None = None
    """The token of the page to resume on (None: the first page)."""
    skip: int = 0
    """Records of that page already done."""
    started: str | None = None
    """The responseDate of the harvest's first page: the next incremental harvest's ``from``."""
    deleted: int = 0
    pages: int = 0
    restarts: int = 0
    deleted_ids: list[str] = field(default_factory=list)

    def _fetch(self, token: str | None) -> OaiPage:
        params: dict[str, str]
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
            if self.set_spec:
                params["set"] = self.set_spec
            if self.from_date:
                params["from"] = self.from_date
        response = self.client.get(
            settings.ARXIV_OAI_URL, params, accept="text/xml, application/xml"
        )
        return parse_page(parse_xml(response, "OAI-PMH"))

    def position(self, token: str | None, skip: int) -> dict[str, Any]:
        return {
            "token": token,
            "skip": skip,
            "from": self.from_date,
            "started": self.started,
            "deleted": self.deleted,
        }

    def items(self) -> Iterator[Item]:
        token, skip = self.token, self.skip
        while True:
            try:
                page = self._fetch(token)
            except ExpiredToken:
                if token is None or self.restarts >= 1:
                    raise
                self.restarts += 1
                log.warning(
                    "OAI-PMH: the resumption token expired; starting the harvest again from %s",
                    self.from_date or "the beginning",
                )
                token, skip = None, 0
                continue
            self.pages += 1
            if token is None and self.started is None:
                self.started = page.response_date[:10] or None
            records = page.records
            for index, oai_record in enumerate(records):
                if index < skip:
                    continue
                last = index == len(records) - 1
                position = self.position(page.token, 0) if last else self.position(token, index + 1)
                where = {"id": oai_record.identifier.removeprefix("oai:arXiv.org:")}
                if last and page.token is None:
                    position["done"] = True
                if oai_record.deleted:
                    self.deleted += 1
                    if len(self.deleted_ids) < 100:
                        self.deleted_ids.append(where["id"])
                    position["deleted"] = self.deleted
                    yield Item(position, where=where, end_of_batch=last)
                elif oai_record.record is None:
                    yield Item(position, error=oai_record.error, where=where, end_of_batch=last)
                else:
                    yield Item(position, record=oai_record.record, where=where, end_of_batch=last)
            if page.token is None:
                return
            token, skip = page.token, 0
