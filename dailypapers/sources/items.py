"""What readers yield. Free of Django, so that readers can prepare items in other processes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dailypapers.catalog.records import PaperRecord


@dataclass(slots=True)
class Item:
    """One unit a reader yields: a record, or the reason a piece of input could not be read."""

    position: dict[str, Any]
    """Where the reader will go on from after this item (saved as the checkpoint)."""
    record: PaperRecord | None = None
    error: str | None = None
    where: dict[str, Any] | None = None
    """How to point a person at the input (a line number, an id)."""
    end_of_batch: bool = False
    """Commit after this item (a reader sets it on the last item of a page it fetched, so a
    failure on the next page loses nothing already read)."""
