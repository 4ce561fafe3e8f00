"""Upvotes: one per user and paper; the entry's count and trending score move with it (and
search's votes order, which reads the count from the database)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from dailypapers.accounts.models import is_suspended
from dailypapers.catalog.models import Paper

from . import pagecache
from .models import DailyEntry, Vote, trending_score


class VoteRefused(Exception):
    """Why a vote was not taken, in words for the reader; ``status`` is the page's,
    ``code`` names the reason (stable, for the API)."""

    def __init__(self, message: str, status: int = 409, code: str = "refused") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def toggle_vote(user: User, entry: DailyEntry, *, up: bool | None = None) -> bool:
    """Add the user's vote (or take it back); ``up`` forces a direction. Returns whether the
    user's vote stands afterwards; ``entry`` is refreshed with the new count and score."""
    if is_suspended(user):  # as for comments and submissions: the verb refuses
        raise VoteRefused(
            "Your account is suspended, so you cannot vote.", status=403, code="suspended"
        )
    with transaction.atomic():
        locked = DailyEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.hidden:
            raise VoteRefused("This paper is no longer featured.", code="not_featured")
        before = locked.upvotes
        existing = Vote.objects.filter(user_id=user.pk, paper_id=locked.paper_id)
        has_vote = existing.exists()
        want = (not has_vote) if up is None else up
        if want and not has_vote:
            try:
                with transaction.atomic():
                    Vote.objects.create(user_id=user.pk, paper_id=locked.paper_id)
            except IntegrityError:  # a double click raced us: the vote is there
                pass
            else:
                locked.upvotes += 1
        elif not want and has_vote:
            existing.delete()
            locked.upvotes = max(0, locked.upvotes - 1)
        if locked.upvotes != before:  # from the votes as they now stand, as an import does
            locked.hot = score_of(locked)
            DailyEntry.objects.filter(pk=locked.pk).update(upvotes=locked.upvotes, hot=locked.hot)
        pagecache.bump()
    entry.upvotes, entry.hot = locked.upvotes, locked.hot
    return want


def score_of(entry: DailyEntry) -> float:
    """The entry's trending score from its featuring time and its votes as they stand."""
    times = Vote.objects.filter(paper_id=entry.paper_id).values_list("created_at", flat=True)
    return trending_score(entry.submitted_at, times)


def rescore(entries: Iterable[DailyEntry]) -> int:
    """Store the trending score of each entry from its votes (after an import or a bulk
    change of votes); returns how many scores changed."""
    changed = []
    for entry in entries:
        hot = score_of(entry)
        if hot != entry.hot:
            entry.hot = hot
            changed.append(entry)
    DailyEntry.objects.bulk_update(changed, ["hot"], batch_size=1000)
    if changed:
        pagecache.bump()
    return len(changed)


def with_upvotes(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    """Papers with ``upvotes``: the votes their featured entry counts for in search (see
    ``DailyEntry.listed_votes``), 0 for a paper never featured or unfeatured."""
    return papers.annotate(
        upvotes=Case(
            When(daily_entry__hidden=False, then=F("daily_entry__upvotes")),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def voted_paper_ids(user: User | AnonymousUser, paper_ids: Iterable[int]) -> set[int]:
    """Which of these papers the user has upvoted, in one query (none for a visitor)."""
    if not user.is_authenticated:
        return set()
    ids = list(paper_ids)
    if not ids:
        return set()
    return set(
        Vote.objects.filter(user_id=user.pk, paper_id__in=ids).values_list("paper_id", flat=True)
    )
