"""What a reader does with papers: save them, gather them in collections with notes, mark
them read, and hide what they have read or saved from lists and search.

Every verb takes the acting user and refuses (``LibraryRefused``, with the words the reader
sees) what is not theirs to change; views turn a refusal into a message or a 404."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from dailypapers.catalog.models import Paper

from .models import Collection, CollectionItem, ReaderState, ReadMark
from .models.collections import READING_LIST_NAME

NAME_MAX = 100
DESCRIPTION_MAX = 2000
NOTE_MAX = 5000
READING_LIST_SLUG = "reading-list"


class LibraryRefused(Exception):
    """Why a change was not made, in words for the reader; ``code`` names the reason
    (stable, for the API)."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def clean_text(value: str, limit: int, what: str, *, required: bool = False) -> str:
    """Text as stored: NUL and other control characters (but line breaks and tabs) out,
    trimmed; refused when over ``limit`` or, if ``required``, empty."""
    text = "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()
    text = text.replace("\r", "")
    if required and not text:
        raise LibraryRefused(f"The {what} cannot be empty.", f"{what}_empty")
    if len(text) > limit:
        raise LibraryRefused(
            f"The {what} is too long: at most {limit:,} characters.", f"{what}_too_long"
        )
    return text


# --- collections ----------------------------------------------------------------------------


def reading_list(user: User) -> Collection:
    """The reader's reading list, made on first use."""
    found = Collection.objects.filter(owner=user, is_reading_list=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Collection.objects.create(
                owner=user,
                name=READING_LIST_NAME,
                slug=_free_slug(user, READING_LIST_SLUG),
                is_reading_list=True,
            )
    except IntegrityError:  # made at the same moment by another request
        return Collection.objects.get(owner=user, is_reading_list=True)


def collections_of(user: User) -> QuerySet[Collection]:
    """The reader's collections, the reading list first, each with its ``paper_count``."""
    return Collection.objects.filter(owner=user).annotate(paper_count=Count("items"))


def _free_slug(user: User, wanted: str, *, keep: Collection | None = None) -> str:
    base = (slugify(wanted) or "collection")[:100].strip("-") or "collection"
    others = Collection.objects.filter(owner=user, slug__startswith=base)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_collection(
    user: User, name: str, description: str = "", *, public: bool = False
) -> Collection:
    name = clean_text(name, NAME_MAX, "name", required=True)
    description = clean_text(description, DESCRIPTION_MAX, "description")
    if name.casefold() == READING_LIST_NAME.casefold():
        raise LibraryRefused(f"“{READING_LIST_NAME}” is taken: choose another name.", "name_taken")
    for _ in range(3):
        try:
            with transaction.atomic():
                return Collection.objects.create(
                    owner=user,
                    name=name,
                    slug=_free_slug(user, name),
                    description=description,
                    is_public=public,
                )
        except IntegrityError:  # the slug was taken in between; choose again
            continue
    raise LibraryRefused("Could not create the collection: please try again.", "try_again")


def owned(user: User | AnonymousUser, pk: int) -> Collection:
    """The user's collection ``pk``; ``Collection.DoesNotExist`` when it is not theirs."""
    if not user.is_authenticated:
        raise Collection.DoesNotExist
    return Collection.objects.get(pk=pk, owner_id=user.pk)


def update_collection(
    collection: Collection, *, name: str, description: str, public: bool
) -> Collection:
    """Rename, describe, make public or private. Renaming changes the public link."""
    name = clean_text(name, NAME_MAX, "name", required=True)
    description = clean_text(description, DESCRIPTION_MAX, "description")
    if collection.is_reading_list:
        name = READING_LIST_NAME  # the reading list keeps its name
    elif name.casefold() == READING_LIST_NAME.casefold():
        raise LibraryRefused(f"“{READING_LIST_NAME}” is taken: choose another name.", "name_taken")
    if name != collection.name:
        collection.slug = _free_slug(collection.owner, name, keep=collection)
    collection.name, collection.description, collection.is_public = name, description, public
    collection.save()
    return collection


def delete_collection(collection: Collection) -> None:
    if collection.is_reading_list:
        raise LibraryRefused(
            "The reading list cannot be deleted; remove its papers instead.", "reading_list_kept"
        )
    collection.delete()


def items_of(collection: Collection) -> list[CollectionItem]:
    return list(collection.items.select_related("paper").order_by("position", "id"))


def public_collection(username: str, slug: str) -> Collection | None:
    """The public collection at ``c/<username>/<slug>``, with its owner; None when there is
    none or it is private (a feed is read without a session: private ones have none)."""
    return (
        Collection.objects.select_related("owner")
        .filter(owner__username=username, slug=slug, is_public=True)
        .first()
    )


def newest_items(collection: Collection, limit: int) -> list[CollectionItem]:
    """The papers last added to a collection, newest first (its feed)."""
    items = collection.items.select_related("paper").defer(
        "paper__comments", "paper__journal_ref", "paper__report_no", "paper__license"
    )
    return list(items.order_by("-added_at", "-id")[:limit])


# --- papers in collections ------------------------------------------------------------------


def add(collection: Collection, paper: Paper, source: str = CollectionItem.Source.SAVED) -> bool:
    """Put the paper at the end of the collection; adding it twice adds it once. Returns
    whether it was added now."""
    with transaction.atomic():
        if CollectionItem.objects.filter(collection=collection, paper=paper).exists():
            return False
        last = collection.items.aggregate(last=Max("position"))["last"]
        try:
            with transaction.atomic():
                CollectionItem.objects.create(
                    collection=collection,
                    paper=paper,
                    position=0 if last is None else last + 1,
                    source=source,
                )
        except IntegrityError:  # added at the same moment by another request
            return False
        _touch(collection.pk)
    return True


def _touch(collection_id: int) -> None:
    """The collection changed (its papers, their notes or order): its "updated" date."""
    Collection.objects.filter(pk=collection_id).update(updated_at=timezone.now())


def remove(collection: Collection, paper: Paper) -> bool:
    deleted, _ = CollectionItem.objects.filter(collection=collection, paper=paper).delete()
    if deleted:
        _touch(collection.pk)
    return deleted > 0


def save(user: User, paper: Paper) -> bool:
    """Add the paper to the reader's reading list (made on first use)."""
    return add(reading_list(user), paper)


def unsave(user: User, paper: Paper) -> bool:
    """Take the paper out of the reading list (other collections keep it)."""
    found = Collection.objects.filter(owner=user, is_reading_list=True).first()
    return found is not None and remove(found, paper)


def item_of(user: User | AnonymousUser, pk: int) -> CollectionItem:
    """The user's item ``pk``; ``CollectionItem.DoesNotExist`` when it is not theirs."""
    if not user.is_authenticated:
        raise CollectionItem.DoesNotExist
    return CollectionItem.objects.select_related("collection", "paper").get(
        pk=pk, collection__owner_id=user.pk
    )


def set_note(item: CollectionItem, note: str) -> None:
    item.note = clean_text(note, NOTE_MAX, "note")
    item.save(update_fields=["note"])
    _touch(item.collection_id)


def move(item: CollectionItem, *, up: bool) -> bool:
    """Swap the item with its neighbour above (or below). Returns whether it moved."""
    with transaction.atomic():
        ordered = list(
            CollectionItem.objects.select_for_update()
            .filter(collection_id=item.collection_id)
            .order_by("position", "id")
        )
        index = next(i for i, other in enumerate(ordered) if other.pk == item.pk)
        target = index - 1 if up else index + 1
        if not 0 <= target < len(ordered):
            return False
        ordered[index], ordered[target] = ordered[target], ordered[index]
        changed = [other for position, other in enumerate(ordered) if other.position != position]
        for position, other in enumerate(ordered):
            other.position = position
        CollectionItem.objects.bulk_update(changed, ["position"])
        _touch(item.collection_id)
    return True


# --- read marks and what a reader hides -----------------------------------------------------


def mark_read(user: User, paper: Paper, *, read: bool = True) -> None:
    if read:
        ReadMark.objects.get_or_create(user=user, paper=paper)
    else:
        ReadMark.objects.filter(user=user, paper=paper).delete()


def set_hiding(user: User, *, hide_read: bool, hide_saved: bool) -> ReaderState:
    state, _ = ReaderState.objects.update_or_create(
        user=user, defaults={"hide_read": hide_read, "hide_saved": hide_saved}
    )
    return state


class ReaderLibrary:
    """One request's view of the reader's library, each part read from the database at
    most once and only when asked: saved and read paper ids (for the cards' buttons), the
    reader's hiding choices and the papers they hide. A visitor's is empty and costs nothing."""

    def __init__(self, user: User | AnonymousUser) -> None:
        self.user = user
        self.signed_in = bool(user.is_authenticated)
        self.user_id: int = int(user.pk) if self.signed_in and user.pk is not None else 0

    @cached_property
    def saved(self) -> frozenset[int]:
        """Ids of the papers in the reader's reading list."""
        if not self.signed_in:
            return frozenset()
        return frozenset(
            CollectionItem.objects.filter(
                collection__owner_id=self.user_id, collection__is_reading_list=True
            ).values_list("paper_id", flat=True)
        )

    @cached_property
    def collected(self) -> frozenset[int]:
        """Ids of the papers in any of the reader's collections."""
        if not self.signed_in:
            return frozenset()
        return frozenset(
            CollectionItem.objects.filter(collection__owner_id=self.user_id)
            .values_list("paper_id", flat=True)
            .distinct()
        )

    @cached_property
    def read(self) -> frozenset[int]:
        if not self.signed_in:
            return frozenset()
        return frozenset(
            ReadMark.objects.filter(user_id=self.user_id).values_list("paper_id", flat=True)
        )

    @cached_property
    def state(self) -> ReaderState:
        if not self.signed_in:
            return ReaderState()
        found = ReaderState.objects.filter(user_id=self.user_id).first()
        return found or ReaderState(user_id=self.user_id)

    @property
    def hiding(self) -> bool:
        return self.signed_in and (self.state.hide_read or self.state.hide_saved)

    @cached_property
    def hidden(self) -> frozenset[int]:
        """Ids of the papers the reader chose to leave out of lists and search."""
        if not self.hiding:
            return frozenset()
        ids: set[int] = set()
        if self.state.hide_read:
            ids |= self.read
        if self.state.hide_saved:
            ids |= self.collected
        return frozenset(ids)

    def hidden_arxiv_ids(self) -> frozenset[str]:
        if not self.hidden:
            return frozenset()
        return frozenset(
            Paper.objects.filter(pk__in=self.hidden).values_list("arxiv_id", flat=True)
        )

    def keep(self, paper_ids: Iterable[int]) -> list[int]:
        hidden = self.hidden
        return [pid for pid in paper_ids if pid not in hidden]


def for_request(request: object) -> ReaderLibrary:
    """The request's ``ReaderLibrary``, made once (the views and the templates share it)."""
    found = getattr(request, "_reader_library", None)
    if found is None:
        found = ReaderLibrary(getattr(request, "user", AnonymousUser()))
        request._reader_library = found  # type: ignore[attr-defined]
    return found
