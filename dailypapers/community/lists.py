"""What list pages and feeds show: the same functions for both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from .calendar import Span
from .models import DailyEntry
from .votes import voted_paper_ids

SPAN_LIMIT = 100  # a week's or month's feed
TRENDING_LIMIT = 50
WEEK_DAY_LIMIT = 10  # the week page: each day's most upvoted papers, then a link to the day
MONTH_PER_PAGE = 50
MONTH_MAX_PAGE = 100


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


@dataclass
class DayGroup:
    """One day of the week page: its most upvoted papers the reader does not hide, and how
    many papers were featured that day in all."""

    day: date
    rows: list[Row]
    featured: int

    @property
    def more(self) -> int:
        """How many of the day's papers the group leaves to the day's page."""
        return max(0, self.featured - len(self.rows))


def week_groups(
    span: Span,
    user: User | AnonymousUser,
    hidden: frozenset[int] = frozenset(),
    per_day: int = WEEK_DAY_LIMIT,
) -> tuple[list[DayGroup], int]:
    """The week's days that have featured papers, Monday first, each with its ``per_day``
    most upvoted papers (less those hidden), in one query; and how many hidden papers were
    left out of those groups."""
    ranked = (
        DailyEntry.objects.for_list()
        .between(span.first, span.last)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("day")],
                order_by=[F("upvotes").desc(), F("submitted_at").desc(), F("id").desc()],
            ),
            featured=Window(Count("id"), partition_by=[F("day")]),
        )
        .filter(rank__lte=per_day + len(hidden))
        .order_by("day", "rank")
    )
    by_day: dict[date, list[DailyEntry]] = {}
    featured: dict[date, int] = {}
    for entry in ranked:
        by_day.setdefault(entry.day, []).append(entry)
        featured[entry.day] = entry.featured  # type: ignore[attr-defined]
    shown: dict[date, list[DailyEntry]] = {}
    left_out = 0
    for day, entries in by_day.items():
        shown[day], dropped = without_hidden(entries, hidden, per_day)
        left_out += dropped
    made = rows([e for entries in shown.values() for e in entries], user)
    groups, start = [], 0
    for day, entries in shown.items():
        groups.append(DayGroup(day, made[start : start + len(entries)], featured[day]))
        start += len(entries)
    return [g for g in groups if g.rows], left_out


@dataclass
class MonthPage:
    """One page of a month's papers, most upvoted first."""

    rows: list[Row]
    number: int
    total: int  # the month's papers the reader does not hide
    per_page: int
    hidden: int  # the month's papers the reader hides

    @property
    def last(self) -> int:
        return max(1, min(MONTH_MAX_PAGE, -(-self.total // self.per_page)))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.last else None

    @property
    def first_rank(self) -> int:
        return (self.number - 1) * self.per_page + 1


def month_page(
    span: Span,
    user: User | AnonymousUser,
    number: int,
    hidden: frozenset[int] = frozenset(),
    per_page: int = MONTH_PER_PAGE,
) -> MonthPage:
    """Page ``number`` (clamped to the pages there are) of the month's papers by votes."""
    entries = DailyEntry.objects.between(span.first, span.last)
    everything = entries.count()
    if hidden:
        entries = entries.exclude(paper_id__in=sorted(hidden))
        total = entries.count()
    else:
        total = everything
    page = MonthPage([], 1, total, per_page, everything - total)
    page.number = max(1, min(number, page.last))
    start = (page.number - 1) * per_page
    shown = list(entries.for_list()[start : start + per_page])
    page.rows = rows(shown, user)
    return page
