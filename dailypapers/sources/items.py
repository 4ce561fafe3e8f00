"""What readers yield. Free of Django, so that readers can prepare items in other processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dailypapers.catalog.records import PaperRecord


@dataclass(frozen=True, slots=True)
class Featuring:
    """A paper another site featured on its daily list (Hugging Face's), by whom and when:
    what its reader hands the community (``sources.signals.featurings_read``)."""

    arxiv_id: str
    day: date
    by: str
    at: datetime


@dataclass(slots=True)
class Item:
    """One unit a reader yields: a record, or the reason a piece of input could not be read."""

    position: dict[str, Any]
    """Where the reader will go on from after this item (saved as the checkpoint)."""
    record: PaperRecord | None = None
    error: str | None = None
    where: dict[str, Any] | None = None
    """How to point a person at the input (a line number, an id)."""
    featuring: Featuring | None = None
    """For a reader of featured papers: this paper's featuring."""
    end_of_batch: bool = False
    """Commit after this item (a reader sets it on the last item of a page it fetched, so a
    failure on the next page loses nothing already read)."""
