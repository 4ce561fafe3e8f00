"""Days, ISO weeks and months as they appear in URLs (``2026-11-28``, ``2026-W48``,
``2026-11``)."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

_WEEK = re.compile(r"(\d{4})-W(\d{1,2})")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


@dataclass(frozen=True)
class Span:
    first: date
    last: date
    label: str
    slug: str

    @property
    def is_week(self) -> bool:
        return "W" in self.slug


def week(slug: str) -> Span | None:
    match = _WEEK.fullmatch(slug)
    if not match:
        return None
    try:
        first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
    return week_of(first)


def week_of(day: date) -> Span:
    first = day - timedelta(days=day.weekday())
    year, number, _ = first.isocalendar()
    last = first + timedelta(days=6)
    return Span(first, last, f"Week {number} of {year}", f"{year}-W{number:02d}")


def month(slug: str) -> Span | None:
    match = _MONTH.fullmatch(slug)
    if not match or not 1 <= int(match[2]) <= 12 or not 1 <= int(match[1]) <= 9999:
        return None
    return month_of(date(int(match[1]), int(match[2]), 1))


def month_of(day: date) -> Span:
    first = day.replace(day=1)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    return Span(first, last, f"{first:%B %Y}", f"{first:%Y-%m}")


def shift(span: Span, step: int) -> Span:
    if span.is_week:
        return week_of(span.first + timedelta(days=7 * step))
    if step < 0:
        return month_of(span.first - timedelta(days=1))
    return month_of(span.last + timedelta(days=1))
