"""What list pages and feeds show: the same functions for both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser, User

from .calendar import Span
from .models import DailyEntry
from .votes import voted_paper_ids

SPAN_LIMIT = 100
TRENDING_LIMIT = 50


def day_entries(day: date) -> list[DailyEntry]:
    return list(DailyEntry.objects.for_list().on_day(day))


def span_entries(span: Span, limit: int = SPAN_LIMIT) -> list[DailyEntry]:
    return list(DailyEntry.objects.for_list().between(span.first, span.last)[:limit])


def trending_entries(limit: int = TRENDING_LIMIT) -> list[DailyEntry]:
    return list(DailyEntry.objects.for_list().trending()[:limit])


def latest_day(on_or_before: date | None = None) -> date | None:
    entries = DailyEntry.objects.visible()
    if on_or_before is not None:
        entries = entries.filter(day__lte=on_or_before)
    return entries.order_by("-day").values_list("day", flat=True).first()


def neighbour_days(day: date) -> tuple[date | None, date | None]:
    """The nearest earlier and later days that have featured papers."""
    visible = DailyEntry.objects.visible()
    before = visible.filter(day__lt=day).order_by("-day").values_list("day", flat=True).first()
    after = visible.filter(day__gt=day).order_by("day").values_list("day", flat=True).first()
    return before, after


@dataclass
class Row:
    entry: DailyEntry
    voted: bool


def rows(entries: list[DailyEntry], user: User | AnonymousUser) -> list[Row]:
    voted = voted_paper_ids(user, (e.paper_id for e in entries))
    return [Row(e, e.paper_id in voted) for e in entries]


def without_hidden(
    entries: list[DailyEntry], hidden: frozenset[int], limit: int | None = None
) -> tuple[list[DailyEntry], int]:
    """The entries less the papers the reader hides (read or saved, their choice), at most
    ``limit`` of them, and how many of those that would have been shown were left out."""
    shown = [e for e in entries if e.paper_id not in hidden]
    counted = entries if limit is None else entries[:limit]
    left_out = sum(1 for e in counted if e.paper_id in hidden)
    return (shown if limit is None else shown[:limit]), left_out
