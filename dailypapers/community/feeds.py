"""RSS and Atom feeds for the community's lists: the daily feed, a week, a month, trending, a
member's submissions, an author's and a category's newest papers, a public collection.

Every feed shows at most a list's worth of items (a list's own limit, or ``FEED_LIMIT``) in
a fixed number of queries. Titles and descriptions are plain text with their TeX made
readable (``$\\alpha$-divergence`` reads "\u03b1-divergence"): feed readers render no math."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator

from dailypapers.catalog.models import Author, Category, Paper
from dailypapers.catalog.text import readable_text
from dailypapers.library import services as library
from dailypapers.library.models import Collection, CollectionItem

from . import browse, calendar, lists
from .models import DailyEntry
from .profiles import submissions
from .submissions import today

FEED_LIMIT = 50  # items of an author's, a category's or a collection's feed
ABSTRACT_CHARS = 1200
AUTHORS_SHOWN = 10


def plain(text: str) -> str:
    """Text for a feed: TeX made readable (a bare ``&``, ``%`` or ``#`` kept as written),
    control characters (which XML 1.0 cannot carry) out, one line."""
    return readable_text(text)


def paper_title(paper: Paper) -> str:
    return plain(paper.title)


def paper_summary(paper: Paper, *, extra: str = "") -> str:
    """Authors, the abstract (readable, cut at ABSTRACT_CHARS) and ``extra`` (votes, a
    note, a reason), one paragraph each."""
    authors = ", ".join(paper.author_names[:AUTHORS_SHOWN])
    if len(paper.author_names) > AUTHORS_SHOWN:
        authors += ", et al."
    abstract = Truncator(plain(paper.abstract)).chars(ABSTRACT_CHARS)
    return "\n\n".join(part for part in (plain(authors), abstract, extra) if part)


def paper_byline(paper: Paper) -> str:
    names = paper.author_names
    byline = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    return plain(byline) or settings.SITE_NAME


def paper_path(paper: Paper) -> str:
    return reverse("paper", args=[paper.arxiv_id])


class PaperItems(Feed):  # type: ignore[type-arg]
    """What every feed of papers shares: each subclass says how an item gives its paper and
    its dates. Atom entries carry an ``updated`` date (RFC 4287 asks for one)."""

    description_template = None
    title_template = None

    def paper_of(self, item: Any) -> Paper:
        raise NotImplementedError

    def item_extra(self, item: Any) -> str:
        return ""

    def item_title(self, item: Any) -> str:
        return paper_title(self.paper_of(item))

    def item_description(self, item: Any) -> str:
        return paper_summary(self.paper_of(item), extra=self.item_extra(item))

    def item_link(self, item: Any) -> str:
        return paper_path(self.paper_of(item))

    def item_guid(self, item: Any) -> str:
        return f"{settings.SITE_URL}{paper_path(self.paper_of(item))}"

    def item_author_name(self, item: Any) -> str:
        return paper_byline(self.paper_of(item))

    def item_pubdate(self, item: Any) -> datetime | None:
        paper = self.paper_of(item)
        return paper.submitted or paper.created_at

    def item_updateddate(self, item: Any) -> datetime | None:
        return self.item_pubdate(item)


class EntryFeed(PaperItems):
    """Items are DailyEntries; subclasses say which."""

    def paper_of(self, item: DailyEntry) -> Paper:
        return item.paper

    def item_extra(self, item: DailyEntry) -> str:
        return f"{item.upvotes} upvote{'' if item.upvotes == 1 else 's'}"

    def item_pubdate(self, item: DailyEntry) -> datetime:
        return item.submitted_at


class DailyFeed(EntryFeed):
    def title(self) -> str:
        return f"{settings.SITE_NAME}: daily papers"

    def link(self) -> str:
        return reverse("home")

    def description(self) -> str:
        return "The papers featured on the latest day, by votes."

    def items(self) -> list[DailyEntry]:
        day = lists.latest_day(today())
        return lists.day_entries(day) if day else []


class SpanFeed(EntryFeed):
    """A week or a month: its most upvoted featured papers (the page's list)."""

    route = "week"

    def span_of(self, slug: str) -> calendar.Span | None:
        return calendar.week(slug)

    def get_object(self, request: HttpRequest, slug: str) -> calendar.Span:
        span = self.span_of(slug)
        if span is None:
            raise Http404("no such week or month")
        return span

    def title(self, obj: calendar.Span) -> str:
        return f"{settings.SITE_NAME}: {obj.label}"

    def link(self, obj: calendar.Span) -> str:
        return reverse(self.route, args=[obj.slug])

    def description(self, obj: calendar.Span) -> str:
        return f"The papers featured in {obj.label}, by votes."

    def items(self, obj: calendar.Span) -> list[DailyEntry]:
        return lists.span_entries(obj)


class WeekFeed(SpanFeed):
    route = "week"


class MonthFeed(SpanFeed):
    route = "month"

    def span_of(self, slug: str) -> calendar.Span | None:
        return calendar.month(slug)


class TrendingFeed(EntryFeed):
    def title(self) -> str:
        return f"{settings.SITE_NAME}: trending papers"

    def link(self) -> str:
        return reverse("trending")

    def description(self) -> str:
        return "What readers are voting for now: each vote counts half as much a day later."

    def items(self) -> list[DailyEntry]:
        return lists.trending_entries()


class UserFeed(EntryFeed):
    def get_object(self, request: HttpRequest, username: str) -> User:
        user_model = get_user_model()
        return get_object_or_404(user_model, **{user_model.USERNAME_FIELD: username})

    def title(self, obj: User) -> str:
        return f"{settings.SITE_NAME}: papers submitted by {obj.get_username()}"

    def link(self, obj: User) -> str:
        return reverse("profile", args=[obj.get_username()])

    def description(self, obj: User) -> str:
        return f"Papers {obj.get_username()} featured."

    def items(self, obj: User) -> list[DailyEntry]:
        return submissions(obj.pk)


class PaperFeed(PaperItems):
    """Items are papers of the catalogue, newest first."""

    def paper_of(self, item: Paper) -> Paper:
        return item


class AuthorFeed(PaperFeed):
    def get_object(self, request: HttpRequest, ref: str) -> Author:
        return browse.author_of_ref(ref)

    def title(self, obj: Author) -> str:
        return f"{settings.SITE_NAME}: papers by {plain(obj.name)}"

    def link(self, obj: Author) -> str:
        return browse.author_url(obj)

    def description(self, obj: Author) -> str:
        return f"The newest papers by {plain(obj.name)} in the catalogue."

    def items(self, obj: Author) -> list[Paper]:
        return browse.newest_of_author(obj.pk, FEED_LIMIT)


class CategoryFeed(PaperFeed):
    def get_object(self, request: HttpRequest, code: str) -> Category:
        return browse.category_of_code(code)

    def title(self, obj: Category) -> str:
        name = f" ({plain(obj.name)})" if obj.name else ""
        return f"{settings.SITE_NAME}: new in {obj.code}{name}"

    def link(self, obj: Category) -> str:
        return reverse("category", args=[obj.code])

    def description(self, obj: Category) -> str:
        return f"The newest papers in {obj.code}, by first submission."

    def items(self, obj: Category) -> list[Paper]:
        return browse.newest_in_category(obj.code, FEED_LIMIT)


class CollectionFeed(PaperItems):
    """A public collection's papers, the last added first, each with its owner's note. A
    private collection has no feed (a feed is read without a session): 404, as its page
    answers a stranger."""

    def get_object(self, request: HttpRequest, username: str, slug: str) -> Collection:
        found = library.public_collection(username, slug)
        if found is None:
            raise Http404("no such collection")
        return found

    def title(self, obj: Collection) -> str:
        return f"{settings.SITE_NAME}: {plain(obj.name)} by {obj.owner.get_username()}"

    def link(self, obj: Collection) -> str:
        return reverse("library:collection", args=[obj.owner.get_username(), obj.slug])

    def description(self, obj: Collection) -> str:
        text = plain(obj.description)
        return text or f"Papers {obj.owner.get_username()} collected, the last added first."

    def items(self, obj: Collection) -> list[CollectionItem]:
        return library.newest_items(obj, FEED_LIMIT)

    def paper_of(self, item: CollectionItem) -> Paper:
        return item.paper

    def item_extra(self, item: CollectionItem) -> str:
        return f"Note: {plain(item.note)}" if item.note.strip() else ""

    def item_pubdate(self, item: CollectionItem) -> datetime:
        return item.added_at


def atom(feed: type[PaperItems]) -> type[PaperItems]:
    return type(f"Atom{feed.__name__}", (feed,), {"feed_type": Atom1Feed, "subtitle": None})
