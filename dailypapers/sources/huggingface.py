"""Reader for Hugging Face's daily papers list (``GET /api/daily_papers?date=YYYY-MM-DD``).

Each entry is a paper featured on HF's daily page on that day, with who featured it. Papers
are upserted as usual (HF is not the authority for their metadata: it fills only what a paper
lacks); each item carries its typed ``Featuring``, which :func:`announce_featurings` hands to
the community (``sources.signals.featurings_read``), the one writer of featured papers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import orjson
from django.conf import settings

from dailypapers.catalog.records import PaperRecord

from .http import PoliteClient, SourceError
from .items import Featuring, Item
from .signals import featurings_read
from .xml import iso_datetime, looks_like_html

PAGE_SIZE = 100  # the most HF allows
MAX_PAGES = 20


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _stars(value: Any) -> int | None:
    """A repository's star count as HF gives it (``githubStars``); anything else is none."""
    return value if type(value) is int and value >= 0 else None


def _user_name(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    for key in ("name", "user", "fullname"):
        if isinstance(user.get(key), str) and user[key].strip():
            return str(user[key]).strip()
    return ""


def record_from_entry(entry: Any, day: date) -> tuple[PaperRecord, Featuring]:
    """One array entry as a record and its featuring; raises ValueError for an entry that
    cannot be used."""
    if not isinstance(entry, dict):
        raise ValueError("an entry that is not a JSON object")
    inner = entry.get("paper")
    paper: dict[str, Any] = inner if isinstance(inner, dict) else entry
    arxiv_id = _str(paper.get("id")) or _str(entry.get("id"))
    if not arxiv_id:
        raise ValueError("an entry without a paper id")
    authors = [
        name.strip()
        for author in paper.get("authors") or []
        if isinstance(author, dict)
        and not author.get("hidden")
        and (name := _str(author.get("name")))
        and name.strip()
    ]
    by = _user_name(entry.get("submittedBy")) or _user_name(paper.get("submittedOnDailyBy"))
    at = iso_datetime(_str(paper.get("submittedOnDailyAt")) or _str(entry.get("publishedAt")))
    featuring = Featuring(
        arxiv_id=arxiv_id,
        day=day,
        by=by,
        at=at or datetime.combine(day, time(), tzinfo=UTC),
    )
    record = PaperRecord(
        arxiv_id=arxiv_id,
        title=_str(paper.get("title")) or _str(entry.get("title")),
        abstract=_str(paper.get("summary")) or _str(entry.get("summary")),
        authors=authors or None,
        submitted=iso_datetime(_str(paper.get("publishedAt"))),
        repo_url=_str(paper.get("githubRepo")) or None,
        project_page=_str(paper.get("projectPage")) or None,
        github_stars=_stars(paper.get("githubStars")),
        authoritative=False,  # arXiv's metadata wins; HF adds its links and featurings
    )
    return record, featuring


def read_daily_papers(client: PoliteClient, day: date, *, start_page: int = 0) -> Iterator[Item]:
    """The papers HF featured on ``day``; position ``page`` is the next page to read."""
    url = f"{settings.HF_URL}/api/daily_papers"
    for page in range(start_page, MAX_PAGES):
        response = client.get(
            url,
            {"date": day.isoformat(), "limit": PAGE_SIZE, "p": page},
            accept="application/json",
        )
        if looks_like_html(response):
            raise SourceError(
                f"Hugging Face daily papers: the server answered with an HTML page instead of "
                f"JSON ({response.url}); is DAILYPAPERS_HF_URL right?"
            )
        try:
            entries = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise SourceError(
                f"Hugging Face daily papers: the answer is not valid JSON ({exc})"
            ) from None
        if isinstance(entries, dict) and "error" in entries:
            raise SourceError(f"Hugging Face daily papers: HF says: {entries['error']}")
        if not isinstance(entries, list):
            raise SourceError("Hugging Face daily papers: expected a JSON array of papers")
        for index, entry in enumerate(entries):
            last = index == len(entries) - 1
            position = {"page": page + 1 if last else page, "day": day.isoformat()}
            given = entry.get("paper", {}).get("id") if isinstance(entry, dict) else None
            where = {"id": str(given)[:80] if given else f"#{page * PAGE_SIZE + index}"}
            try:
                record, featuring = record_from_entry(entry, day)
            except ValueError as exc:
                yield Item(position, error=str(exc), where=where, end_of_batch=last)
                continue
            yield Item(position, record=record, where=where, featuring=featuring, end_of_batch=last)
        if len(entries) < PAGE_SIZE:
            return


def announce_featurings(items: Sequence[Item]) -> int:
    """Hand the batch's featurings to the community (inside the batch's transaction, so they
    are committed with the papers); returns how many."""
    featurings = [item.featuring for item in items if item.featuring is not None]
    if featurings:
        featurings_read.send(sender=Featuring, featurings=featurings)
    return len(featurings)
