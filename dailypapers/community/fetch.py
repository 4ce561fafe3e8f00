"""Papers not yet in the catalogue, fetched on demand from the arXiv API."""

from __future__ import annotations

import logging

from django.conf import settings

from dailypapers.catalog.ids import parse_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import InvalidRecord, PaperRecord
from dailypapers.catalog.upsert import upsert_paper
from dailypapers.sources.http import PoliteClient, SourceError

log = logging.getLogger(__name__)


def fetch_record(arxiv_id: str) -> PaperRecord | None:
    """The paper's record from the arXiv API, or None if arXiv does not know it.

    A reader is waiting: one try, a short timeout. Raises SourceError when arXiv cannot be
    reached."""
    from dailypapers.sources.api import fetch_ids

    with PoliteClient(retries=0, timeout=10, max_wait=10) as client:
        for item in fetch_ids(client, [arxiv_id]):
            if item.record is not None:
                return item.record
    return None


def get_or_fetch_paper(text: str) -> Paper | None:
    """The catalogue's paper for an id (any form ``parse_arxiv_id`` accepts), fetching it
    from arXiv when it is missing and fetching is on. Raises InvalidArxivId for text that is
    not an id and SourceError when arXiv cannot be reached."""
    arxiv_id = parse_arxiv_id(text).id
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is not None or not settings.FETCH_MISSING_PAPERS:
        return paper
    try:
        record = fetch_record(arxiv_id)
    except SourceError:
        log.warning("could not fetch %s from arXiv", arxiv_id, exc_info=True)
        raise
    if record is None:
        return None
    try:
        upsert_paper(record, source="arxiv-api")
    except InvalidRecord as exc:
        log.warning("arXiv's record of %s cannot be used: %s", arxiv_id, exc)
        return None
    return Paper.objects.filter(arxiv_id=arxiv_id).first()
