"""Public profiles (a member's submissions, upvotes and comments) and public collections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from dailypapers.accounts.models import Profile
from dailypapers.community.models import Comment, DailyEntry, Vote
from dailypapers.library.models import Collection, CollectionItem

from .base import READ_ERRORS, ApiError
from .lists import PageParams
from .paging import Key, answer_page, conditional
from .schemas import EntryOut, EntryPage, PaperOut, entry_out, paper_out

router = Router(tags=["people"])

MAX_NAME_CHARS = 150
NEWEST = (Key("submitted_at", datetime), Key("id"))
RECENT = (Key("created_at", datetime), Key("id"))
BY_NAME = (Key("name", str, descending=False), Key("id", descending=False))
IN_ORDER = (Key("position", descending=False), Key("id", descending=False))


def member(username: str) -> User:
    """The member with this user name, or 404 ``not_found``."""
    model = get_user_model()
    found = (
        model.objects.filter(**{model.USERNAME_FIELD: username[:MAX_NAME_CHARS]}).first()
        if len(username) <= MAX_NAME_CHARS
        else None
    )
    if found is None:
        raise ApiError(404, "not_found", "No member has this user name.")
    return found


class ProfileOut(Schema):
    username: str
    joined: datetime
    suspended: bool
    submissions: int = Field(description="Papers they featured (still featured).")
    comments: int = Field(description="Their comments readers see.")
    collections: int = Field(description="Their public collections.")


@router.get(
    "/users/{username}", response={200: ProfileOut, **READ_ERRORS}, summary="A public profile"
)
def profile(request: HttpRequest, response: HttpResponse, username: str) -> Any:
    """What the profile page ``/u/<username>`` shows about a member."""
    user = member(username)
    body = ProfileOut(
        username=user.get_username(),
        joined=user.date_joined,
        suspended=Profile.objects.filter(user=user, suspended_at__isnull=False).exists(),
        submissions=DailyEntry.objects.visible().filter(submitted_by=user).count(),
        comments=Comment.objects.shown().filter(author=user).count(),
        collections=_public(user).count(),
    )
    return conditional(request, response, body)


@router.get(
    "/users/{username}/submissions",
    response={200: EntryPage, **READ_ERRORS},
    summary="The papers a member featured",
)
def submissions(
    request: HttpRequest, response: HttpResponse, username: str, params: Query[PageParams]
) -> Any:
    """The papers a member featured, newest first (the profile's Submissions tab)."""
    user = member(username)
    entries = DailyEntry.objects.for_list().visible().filter(submitted_by=user)
    return answer_page(
        request,
        response,
        entries,
        kind=f"submissions:{user.pk}",
        keys=NEWEST,
        params=params,
        item=entry_out,
        page=EntryPage,
    )


@router.get(
    "/users/{username}/upvotes",
    response={200: EntryPage, **READ_ERRORS},
    summary="The papers a member upvoted",
)
def upvotes(
    request: HttpRequest, response: HttpResponse, username: str, params: Query[PageParams]
) -> Any:
    """The featured papers a member upvoted, latest vote first (the Upvotes tab)."""
    user = member(username)
    votes = Vote.objects.filter(user=user, paper__daily_entry__hidden=False).select_related(
        "paper__daily_entry__submitted_by"
    )

    def voted(vote: Vote) -> EntryOut:
        entry = vote.paper.daily_entry
        entry.paper = vote.paper
        return entry_out(entry)

    return answer_page(
        request,
        response,
        votes,
        kind=f"upvotes:{user.pk}",
        keys=RECENT,
        params=params,
        item=voted,
        page=EntryPage,
    )


class MemberCommentOut(Schema):
    id: int
    paper_id: str
    paper_title: str
    body: str
    body_html: str
    created_at: datetime
    edited_at: datetime | None


class MemberCommentPage(Schema):
    items: list[MemberCommentOut]
    next: str | None


@router.get(
    "/users/{username}/comments",
    response={200: MemberCommentPage, **READ_ERRORS},
    summary="A member's comments",
)
def comments(
    request: HttpRequest, response: HttpResponse, username: str, params: Query[PageParams]
) -> Any:
    """A member's comments readers see, newest first (the Comments tab)."""
    user = member(username)
    shown = Comment.objects.shown().filter(author=user).select_related("paper")
    return answer_page(
        request,
        response,
        shown,
        kind=f"comments-of:{user.pk}",
        keys=RECENT,
        params=params,
        item=lambda c: MemberCommentOut(
            id=c.pk,
            paper_id=c.paper.arxiv_id,
            paper_title=c.paper.title,
            body=c.body,
            body_html=c.body_html,
            created_at=c.created_at,
            edited_at=c.edited_at,
        ),
        page=MemberCommentPage,
    )


class CollectionOut(Schema):
    owner: str
    slug: str
    name: str
    description: str
    papers: int
    created_at: datetime
    updated_at: datetime


class CollectionPage(Schema):
    items: list[CollectionOut]
    next: str | None


def _public(user: User) -> Any:
    """A member's collections anyone may read: the public ones (a reading list never is)."""
    return Collection.objects.filter(owner=user, is_public=True, is_reading_list=False)


def collection_out(collection: Collection, owner: User, papers: int) -> CollectionOut:
    return CollectionOut(
        owner=owner.get_username(),
        slug=collection.slug,
        name=collection.name,
        description=collection.description,
        papers=papers,
        created_at=collection.created_at,
        updated_at=collection.updated_at,
    )


@router.get(
    "/users/{username}/collections",
    response={200: CollectionPage, **READ_ERRORS},
    summary="A member's public collections",
)
def collections(
    request: HttpRequest, response: HttpResponse, username: str, params: Query[PageParams]
) -> Any:
    """A member's public collections, by name."""
    user = member(username)
    found = _public(user).annotate(paper_count=Count("items"))
    return answer_page(
        request,
        response,
        found,
        kind=f"collections:{user.pk}",
        keys=BY_NAME,
        params=params,
        item=lambda c: collection_out(c, user, c.paper_count),
        page=CollectionPage,
    )


class ItemOut(Schema):
    paper: PaperOut
    note: str
    added_at: datetime


class CollectionItems(Schema):
    collection: CollectionOut
    items: list[ItemOut] = Field(description="In the collection's order")
    next: str | None


@router.get(
    "/users/{username}/collections/{slug}",
    response={200: CollectionItems, **READ_ERRORS},
    summary="A public collection and its papers",
)
def collection(
    request: HttpRequest,
    response: HttpResponse,
    username: str,
    slug: str,
    params: Query[PageParams],
) -> Any:
    """A public collection (``/c/<username>/<slug>`` on the site) with its papers and their
    notes, in its order. A private collection is a 404, as on the site."""
    user = member(username)
    found = _public(user).filter(slug=slug[:200]).first()
    if found is None:
        raise ApiError(404, "not_found", "No such public collection.")
    entries = (
        CollectionItem.objects.filter(collection=found)
        .select_related("paper")
        .annotate(
            upvotes=Case(
                When(paper__daily_entry__hidden=False, then=F("paper__daily_entry__upvotes")),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    )
    return answer_page(
        request,
        response,
        entries,
        kind=f"items:{found.pk}",
        keys=IN_ORDER,
        params=params,
        item=lambda i: ItemOut(
            paper=paper_out(i.paper, int(i.upvotes)),  # type: ignore[attr-defined]
            note=i.note,
            added_at=i.added_at,
        ),
        page=CollectionItems,
        collection=collection_out(found, user, found.items.count()),
    )
