"""RSS and Atom feeds for the daily feed, a week, trending and a user's submissions."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator

from . import calendar, lists
from .models import DailyEntry
from .profiles import submissions
from .submissions import today


class EntryFeed(Feed):  # type: ignore[type-arg]
    """Items are DailyEntries; subclasses say which."""

    description_template = None

    def item_title(self, item: DailyEntry) -> str:
        return item.paper.title

    def item_description(self, item: DailyEntry) -> str:
        authors = ", ".join(item.paper.author_names[:10])
        abstract = Truncator(item.paper.abstract).chars(1200)
        return f"{authors}\n\n{abstract}\n\n{item.upvotes} upvotes"

    def item_link(self, item: DailyEntry) -> str:
        return reverse("paper", args=[item.paper.arxiv_id])

    def item_guid(self, item: DailyEntry) -> str:
        return f"{settings.SITE_URL}{self.item_link(item)}"

    def item_pubdate(self, item: DailyEntry) -> datetime:
        return item.submitted_at

    def item_author_name(self, item: DailyEntry) -> str:
        return ", ".join(item.paper.author_names[:3]) + (
            " et al." if len(item.paper.author_names) > 3 else ""
        )


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


class WeekFeed(EntryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> calendar.Span:
        span = calendar.week(slug)
        if span is None:
            raise Http404("no such week")
        return span

    def title(self, obj: calendar.Span) -> str:
        return f"{settings.SITE_NAME}: {obj.label}"

    def link(self, obj: calendar.Span) -> str:
        return reverse("week", args=[obj.slug])

    def description(self, obj: calendar.Span) -> str:
        return f"The papers featured in {obj.label.lower()}, by votes."

    def items(self, obj: calendar.Span) -> list[DailyEntry]:
        return lists.span_entries(obj)


class TrendingFeed(EntryFeed):
    def title(self) -> str:
        return f"{settings.SITE_NAME}: trending papers"

    def link(self) -> str:
        return reverse("trending")

    def description(self) -> str:
        return "Featured papers by votes, newer ones first among equals."

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


def atom(feed: type[EntryFeed]) -> type[EntryFeed]:
    return type(f"Atom{feed.__name__}", (feed,), {"feed_type": Atom1Feed, "subtitle": None})
