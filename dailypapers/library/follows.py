"""Following: authors, categories and saved searches a reader follows.

Every verb is idempotent (following twice keeps one row, unfollowing what is not followed
changes nothing) and safe against a double click racing itself (the unique constraints
decide; the loser of the race finds the winner's row). What the "For you" page and the
follow buttons read: ``followed_author_ids``, ``followed_categories``, ``saved_searches``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction

from dailypapers.catalog.models import Author, Category

from .models import Follow

MAX_FOLLOWS = 1000  # per reader, all kinds together
MAX_QUERY_CHARS = Follow._meta.get_field("query").max_length or 1000
MAX_LABEL_CHARS = Follow._meta.get_field("label").max_length or 200

Reader = User | AnonymousUser


class FollowRefused(Exception):
    """Why a follow was not taken, in words for the reader."""


@dataclass(frozen=True)
class SavedSearch:
    """A followed search: ``query`` is the search page's query string (normalised by the
    search page); ``stream_query`` the same, newest first."""

    id: int
    query: str
    label: str

    @property
    def stream_query(self) -> str:
        return stream_query(self.query)


def stream_query(query: str) -> str:
    """A saved search's query string as a stream: the same words and filters, newest first."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k != "sort"]
    return urlencode([*pairs, ("sort", "date")])


def _follow(user: User, kind: str, **target: Any) -> Follow:
    mine = Follow.objects.filter(user_id=user.pk)
    existing = mine.filter(kind=kind, **target).first()
    if existing is not None:
        return existing
    if mine.count() >= MAX_FOLLOWS:
        raise FollowRefused(
            f"You follow {MAX_FOLLOWS} things already: unfollow some first (see Following)."
        )
    try:
        with transaction.atomic():
            return Follow.objects.create(user_id=user.pk, kind=kind, **target)
    except IntegrityError:  # a double click raced us: the row is there
        found = mine.filter(kind=kind, **target).first()
        if found is None:
            raise
        return found


def follow_author(user: User, author_id: int) -> Follow:
    if not Author.objects.filter(pk=author_id).exists():
        raise FollowRefused("There is no such author.")
    return _follow(user, Follow.Kind.AUTHOR, author_id=author_id)


def follow_category(user: User, code: str) -> Follow:
    if not Category.objects.filter(code=code).exists():
        raise FollowRefused("There is no such category.")
    return _follow(user, Follow.Kind.CATEGORY, category_id=code)


def follow_search(user: User, query: str, label: str = "") -> Follow:
    """Save a search (its normalised query string) with a name; following it again keeps
    the first name unless a new one is given."""
    label = " ".join(label.split())
    if not query:
        raise FollowRefused("Nothing to follow: type some words or choose a filter first.")
    if len(query) > MAX_QUERY_CHARS:
        raise FollowRefused(
            f"This search is too long to save ({len(query)} characters in the address; "
            f"at most {MAX_QUERY_CHARS})."
        )
    if len(label) > MAX_LABEL_CHARS:
        raise FollowRefused(f"A saved search's name is at most {MAX_LABEL_CHARS} characters.")
    if "\x00" in query or "\x00" in label:
        raise FollowRefused("This search has a character that cannot be saved.")
    follow = _follow(user, Follow.Kind.SEARCH, query=query)
    if label and follow.label != label:
        follow.label = label
        follow.save(update_fields=["label"])
    return follow


def unfollow_author(user: User, author_id: int) -> bool:
    return _delete(Follow.objects.filter(user_id=user.pk, kind="author", author_id=author_id))


def unfollow_category(user: User, code: str) -> bool:
    return _delete(Follow.objects.filter(user_id=user.pk, kind="category", category_id=code))


def unfollow_search(user: User, query: str) -> bool:
    return _delete(Follow.objects.filter(user_id=user.pk, kind="search", query=query))


def unfollow(user: User, follow_id: int) -> bool:
    """Remove one of the reader's follows by its id (another reader's is left alone)."""
    return _delete(Follow.objects.filter(user_id=user.pk, pk=follow_id))


def _delete(follows: Any) -> bool:
    deleted, _ = follows.delete()
    return bool(deleted)


def followed_author_ids(user: Reader) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        Follow.objects.filter(user_id=user.pk, kind="author").values_list("author_id", flat=True)
    )


def followed_categories(user: Reader) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(
        Follow.objects.filter(user_id=user.pk, kind="category").values_list(
            "category_id", flat=True
        )
    )


def saved_searches(user: Reader) -> list[SavedSearch]:
    """The reader's saved searches, oldest first; a search saved without a name is named by
    its query string."""
    if not user.is_authenticated:
        return []
    rows = Follow.objects.filter(user_id=user.pk, kind="search").values_list("id", "query", "label")
    return [SavedSearch(id=i, query=q, label=label or q) for i, q, label in rows]


def saved_search(user: Reader, *queries: str) -> SavedSearch | None:
    """The reader's saved search with the first of these (normalised) query strings that
    they saved, if any."""
    wanted = [q for q in queries if q]
    if not user.is_authenticated or not wanted:
        return None
    rows = Follow.objects.filter(user_id=user.pk, kind="search", query__in=wanted)
    found = sorted(rows.values_list("id", "query", "label"), key=lambda r: wanted.index(r[1]))
    if not found:
        return None
    pk, saved, label = found[0]
    return SavedSearch(id=pk, query=saved, label=label or saved)


def is_following_author(user: Reader, author_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user_id=user.pk, kind="author", author_id=author_id).exists()


def is_following_category(user: Reader, code: str) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user_id=user.pk, kind="category", category_id=code).exists()


@dataclass(frozen=True)
class Following:
    """Everything a reader follows, for their Following page (three queries)."""

    authors: list[Follow]
    categories: list[Follow]
    searches: list[SavedSearch]

    @property
    def empty(self) -> bool:
        return not (self.authors or self.categories or self.searches)


def following(user: User) -> Following:
    mine = Follow.objects.filter(user_id=user.pk)
    return Following(
        authors=list(mine.filter(kind="author").select_related("author").order_by("author__name")),
        categories=list(
            mine.filter(kind="category").select_related("category").order_by("category_id")
        ),
        searches=saved_searches(user),
    )
