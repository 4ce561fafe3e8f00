"""Leaving with your data: the whole instance as JSON lines (``dailypapers export`` and
``dailypapers import``), and one reader's own records (the settings page's download).

The file's first line is a header (``format``, ``version``, ``site``, ``exported_at``,
``since``), its last an ``end`` record with the number of records between them; each line in
between is one record with a ``type``. Records name each other by natural keys (an arXiv id, a
user name, a category code, a comment's paper, author and time), never by the database's ids,
so a file imports into an instance that already holds data, and importing it twice changes
nothing. See docs/export.md.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.db import DatabaseError, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.catalog import bulk as catalog_bulk
from dailypapers.catalog.models import Author, Category, Paper, PaperAuthor, PaperCategory
from dailypapers.catalog.signals import papers_changed
from dailypapers.community import pagecache
from dailypapers.community.models import (
    Comment,
    CommentRevision,
    DailyEntry,
    ModerationAction,
    PaperLinks,
    Vote,
    trending_score,
)
from dailypapers.core.progress import ProgressBar
from dailypapers.digests.models import MailPreference, Notification, SentPaper, Subscription
from dailypapers.library.models import (
    Collection,
    CollectionItem,
    Feedback,
    Follow,
    ReaderState,
    ReadMark,
)
from dailypapers.sources.models import Announcement

FORMAT = "dailypapers-export"
VERSION = 1
CHUNK = 500  # records a query reads, and records an import transaction writes

Record = dict[str, Any]


class ImportFailed(Exception):
    """The file cannot be imported; ``line`` is where (1 for the header)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


# --- values ---------------------------------------------------------------------------------


def _t(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_fixed_timezone(0))
    return parsed


def _when(value: Any) -> datetime:
    """A time a record must give."""
    parsed = _dt(value)
    if parsed is None:
        raise ValueError("a time is missing")
    return parsed


def _d(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _comment_key(paper: str, author: str, created_at: datetime) -> Record:
    return {"paper": paper, "author": author, "created_at": _t(created_at)}


# --- exporting ------------------------------------------------------------------------------


def _chunked(qs: QuerySet[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """A query's rows in chunks, read by ascending id (keyset paging: constant memory and
    stable at any size, where OFFSET would slow down)."""
    last = 0
    while True:
        rows = list(qs.filter(id__gt=last).order_by("id")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1]["id"] if isinstance(rows[-1], dict) else rows[-1].pk


def _since(since: datetime | None, *names: str) -> Q:
    if since is None:
        return Q()
    q = Q()
    for name in names:
        q |= Q(**{f"{name}__gte": since})
    return q


def categories() -> Iterator[Record]:
    for code, name in (
        Category.objects.order_by("code").values_list("code", "name").iterator(chunk_size=CHUNK * 4)
    ):
        yield {"type": "category", "code": code, "name": name}


def lone_authors() -> Iterator[Record]:
    """Authors no paper names (those on papers travel with their papers)."""
    linked = PaperAuthor.objects.filter(author_id=OuterRef("pk"))
    qs = Author.objects.filter(~Exists(linked)).values("id", "name")
    for rows in _chunked(qs):
        for row in rows:
            yield {"type": "author", "name": row["name"]}


PAPER_FIELDS = (
    "arxiv_id",
    "version",
    "title",
    "abstract",
    "author_names",
    "primary_category",
    "categories",
    "comments",
    "journal_ref",
    "doi",
    "report_no",
    "license",
    "code_links",
    "repo_url",
    "project_page",
    "github_stars",
    "last_source",
)
PAPER_TIMES = ("submitted", "updated", "created_at", "changed_at")


def paper_records(qs: QuerySet[Paper]) -> Iterator[Record]:
    """Papers with their authors and categories, a chunk of papers at a time (two queries
    more a chunk for their links)."""
    for rows in _chunked(qs.values("id", *PAPER_FIELDS, *PAPER_TIMES)):
        ids = [row["id"] for row in rows]
        authors: dict[int, list[str]] = {}
        for paper_id, name in (
            PaperAuthor.objects.filter(paper_id__in=ids)
            .order_by("paper_id", "position")
            .values_list("paper_id", "author__name")
        ):
            authors.setdefault(paper_id, []).append(name)
        cats: dict[int, list[str]] = {}
        for paper_id, code in (
            PaperCategory.objects.filter(paper_id__in=ids)
            .order_by("paper_id", "id")
            .values_list("paper_id", "category_id")
        ):
            cats.setdefault(paper_id, []).append(code)
        for row in rows:
            record: Record = {"type": "paper"}
            record.update({name: row[name] for name in PAPER_FIELDS})
            record.update({name: _t(row[name]) for name in PAPER_TIMES})
            record["authors"] = authors.get(row["id"], [])
            record["category_links"] = cats.get(row["id"], [])
            yield record


def _user_record(row: Record, groups: list[str], perms: list[str], hashes: bool) -> Record:
    record: Record = {
        "type": "user",
        "username": row["username"],
        "email": row["email"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "is_active": row["is_active"],
        "is_staff": row["is_staff"],
        "is_superuser": row["is_superuser"],
        "date_joined": _t(row["date_joined"]),
        "last_login": _t(row["last_login"]),
        "groups": groups,
        "permissions": perms,
    }
    if hashes:
        record["password"] = row["password"]
    return record


USER_COLUMNS = (
    "id",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
    "last_login",
    "password",
)


def user_records(qs: QuerySet[User], *, hashes: bool) -> Iterator[Record]:
    for rows in _chunked(qs.values(*USER_COLUMNS)):
        ids = [row["id"] for row in rows]
        groups: dict[int, list[str]] = {}
        for user_id, name in (
            User.groups.through.objects.filter(user_id__in=ids)
            .order_by("user_id", "group__name")
            .values_list("user_id", "group__name")
        ):
            groups.setdefault(user_id, []).append(name)
        perms: dict[int, list[str]] = {}
        for user_id, app, codename in (
            User.user_permissions.through.objects.filter(user_id__in=ids)
            .order_by("user_id", "permission__content_type__app_label", "permission__codename")
            .values_list("user_id", "permission__content_type__app_label", "permission__codename")
        ):
            perms.setdefault(user_id, []).append(f"{app}.{codename}")
        for row in rows:
            yield _user_record(row, groups.get(row["id"], []), perms.get(row["id"], []), hashes)


def _rows(qs: QuerySet[Any], columns: Sequence[str]) -> Iterator[Record]:
    for rows in _chunked(qs.values("id", *columns)):
        yield from rows


def profile_records(qs: QuerySet[Profile]) -> Iterator[Record]:
    for row in _rows(qs, ("user__username", "suspended_at", "suspended_reason")):
        yield {
            "type": "profile",
            "user": row["user__username"],
            "suspended_at": _t(row["suspended_at"]),
            "suspended_reason": row["suspended_reason"],
        }


def email_records(qs: QuerySet[EmailAddress]) -> Iterator[Record]:
    for row in _rows(qs, ("user__username", "email", "verified", "primary")):
        yield {
            "type": "email_address",
            "user": row["user__username"],
            "email": row["email"],
            "verified": row["verified"],
            "primary": row["primary"],
        }


def mail_preference_records(qs: QuerySet[MailPreference]) -> Iterator[Record]:
    for row in _rows(qs, ("user__username", "replies")):
        yield {"type": "mail_preference", "user": row["user__username"], "replies": row["replies"]}


def reader_state_records(qs: QuerySet[ReaderState]) -> Iterator[Record]:
    columns = ("user__username", "for_you_seen_at", "for_you_previous_at", "hide_read")
    for row in _rows(qs, (*columns, "hide_saved")):
        yield {
            "type": "reader_state",
            "user": row["user__username"],
            "for_you_seen_at": _t(row["for_you_seen_at"]),
            "for_you_previous_at": _t(row["for_you_previous_at"]),
            "hide_read": row["hide_read"],
            "hide_saved": row["hide_saved"],
        }


def api_token_records(qs: QuerySet[ApiToken], *, digests: bool) -> Iterator[Record]:
    columns = ("user__username", "name", "scope", "prefix", "digest", "created_at")
    for row in _rows(qs, (*columns, "last_used_at", "revoked_at")):
        record: Record = {
            "type": "api_token",
            "user": row["user__username"],
            "name": row["name"],
            "scope": row["scope"],
            "prefix": row["prefix"],
            "created_at": _t(row["created_at"]),
            "last_used_at": _t(row["last_used_at"]),
            "revoked_at": _t(row["revoked_at"]),
        }
        if digests:
            record["digest"] = row["digest"]
        yield record


ENTRY_COLUMNS = (
    "paper__arxiv_id",
    "day",
    "submitted_by__username",
    "submitted_by_name",
    "submitted_at",
    "source",
    "hidden",
    "upvotes",
    "comment_count",
    "hot",
)


def entry_records(qs: QuerySet[DailyEntry]) -> Iterator[Record]:
    for row in _rows(qs, ENTRY_COLUMNS):
        yield {
            "type": "entry",
            "paper": row["paper__arxiv_id"],
            "day": _t(row["day"]),
            "submitted_by": row["submitted_by__username"],
            "submitted_by_name": row["submitted_by_name"],
            "submitted_at": _t(row["submitted_at"]),
            "source": row["source"],
            "hidden": row["hidden"],
            # derived: recomputed on import from the votes and comments
            "upvotes": row["upvotes"],
            "comment_count": row["comment_count"],
            "hot": row["hot"],
        }


def paper_links_records(qs: QuerySet[PaperLinks]) -> Iterator[Record]:
    columns = ("paper__arxiv_id", "code_url", "project_url", "set_by__username", "set_at")
    for row in _rows(qs, columns):
        yield {
            "type": "paper_links",
            "paper": row["paper__arxiv_id"],
            "code_url": row["code_url"],
            "project_url": row["project_url"],
            "set_by": row["set_by__username"],
            "set_at": _t(row["set_at"]),
        }


def vote_records(qs: QuerySet[Vote]) -> Iterator[Record]:
    for row in _rows(qs, ("user__username", "paper__arxiv_id", "created_at")):
        yield {
            "type": "vote",
            "user": row["user__username"],
            "paper": row["paper__arxiv_id"],
            "created_at": _t(row["created_at"]),
        }


COMMENT_COLUMNS = (
    "paper__arxiv_id",
    "author__username",
    "created_at",
    "parent__paper__arxiv_id",
    "parent__author__username",
    "parent__created_at",
    "body",
    "body_html",
    "edited_at",
    "deleted_at",
    "hidden",
)


def comment_records(qs: QuerySet[Comment]) -> Iterator[Record]:
    """Comments by ascending id: a reply always comes after the comment it answers."""
    for row in _rows(qs, COMMENT_COLUMNS):
        parent = None
        if row["parent__created_at"] is not None:
            parent = _comment_key(
                row["parent__paper__arxiv_id"],
                row["parent__author__username"],
                row["parent__created_at"],
            )
        yield {
            "type": "comment",
            "paper": row["paper__arxiv_id"],
            "author": row["author__username"],
            "created_at": _t(row["created_at"]),
            "parent": parent,
            "body": row["body"],
            "body_html": row["body_html"],
            "edited_at": _t(row["edited_at"]),
            "deleted_at": _t(row["deleted_at"]),
            "hidden": row["hidden"],
        }


def revision_records(qs: QuerySet[CommentRevision]) -> Iterator[Record]:
    columns = ("comment__paper__arxiv_id", "comment__author__username", "comment__created_at")
    for row in _rows(qs, (*columns, "number", "body", "body_html", "written_at", "replaced_at")):
        yield {
            "type": "comment_revision",
            "comment": _comment_key(
                row["comment__paper__arxiv_id"],
                row["comment__author__username"],
                row["comment__created_at"],
            ),
            "number": row["number"],
            "body": row["body"],
            "body_html": row["body_html"],
            "written_at": _t(row["written_at"]),
            "replaced_at": _t(row["replaced_at"]),
        }


MODERATION_COLUMNS = (
    "moderator__username",
    "kind",
    "created_at",
    "comment__paper__arxiv_id",
    "comment__author__username",
    "comment__created_at",
    "entry__paper__arxiv_id",
    "target_user__username",
    "reason",
)


def moderation_records(qs: QuerySet[ModerationAction]) -> Iterator[Record]:
    for row in _rows(qs, MODERATION_COLUMNS):
        comment = None
        if row["comment__created_at"] is not None:
            comment = _comment_key(
                row["comment__paper__arxiv_id"],
                row["comment__author__username"],
                row["comment__created_at"],
            )
        yield {
            "type": "moderation_action",
            "moderator": row["moderator__username"],
            "kind": row["kind"],
            "created_at": _t(row["created_at"]),
            "comment": comment,
            "entry": row["entry__paper__arxiv_id"],
            "target_user": row["target_user__username"],
            "reason": row["reason"],
        }


COLLECTION_COLUMNS = (
    "owner__username",
    "slug",
    "name",
    "description",
    "is_public",
    "is_reading_list",
    "created_at",
    "updated_at",
)


def collection_records(qs: QuerySet[Collection]) -> Iterator[Record]:
    for row in _rows(qs, COLLECTION_COLUMNS):
        yield {
            "type": "collection",
            "owner": row["owner__username"],
            "slug": row["slug"],
            "name": row["name"],
            "description": row["description"],
            "is_public": row["is_public"],
            "is_reading_list": row["is_reading_list"],
            "created_at": _t(row["created_at"]),
            "updated_at": _t(row["updated_at"]),
        }


def collection_item_records(qs: QuerySet[CollectionItem]) -> Iterator[Record]:
    columns = ("collection__owner__username", "collection__slug", "paper__arxiv_id")
    for row in _rows(
        qs, (*columns, "collection__is_reading_list", "note", "position", "source", "added_at")
    ):
        yield {
            "type": "collection_item",
            "owner": row["collection__owner__username"],
            "collection": row["collection__slug"],
            "reading_list": row["collection__is_reading_list"],
            "paper": row["paper__arxiv_id"],
            "note": row["note"],
            "position": row["position"],
            "source": row["source"],
            "added_at": _t(row["added_at"]),
        }


def read_mark_records(qs: QuerySet[ReadMark]) -> Iterator[Record]:
    for row in _rows(qs, ("user__username", "paper__arxiv_id", "read_at")):
        yield {
            "type": "read_mark",
            "user": row["user__username"],
            "paper": row["paper__arxiv_id"],
            "read_at": _t(row["read_at"]),
        }


def follow_records(qs: QuerySet[Follow]) -> Iterator[Record]:
    columns = ("user__username", "kind", "author__name", "category_id", "query", "label")
    for row in _rows(qs, (*columns, "created_at")):
        yield {
            "type": "follow",
            "user": row["user__username"],
            "kind": row["kind"],
            "author": row["author__name"],
            "category": row["category_id"],
            "query": row["query"],
            "label": row["label"],
            "created_at": _t(row["created_at"]),
        }


def feedback_records(qs: QuerySet[Feedback]) -> Iterator[Record]:
    for row in _rows(qs, ("user__username", "paper__arxiv_id", "value", "created_at")):
        yield {
            "type": "feedback",
            "user": row["user__username"],
            "paper": row["paper__arxiv_id"],
            "value": row["value"],
            "created_at": _t(row["created_at"]),
        }


SUBSCRIPTION_FIELDS = (
    "email",
    "frequency",
    "weekday",
    "hour",
    "time_zone",
    "personal_picks",
    "interests",
    "paused_reason",
    "hard_bounces",
)
SUBSCRIPTION_TIMES = ("confirmed_at", "confirm_sent_at", "paused_at", "unsubscribed_at")


def subscription_records(qs: QuerySet[Subscription], *, tokens: bool = True) -> Iterator[Record]:
    columns = (*SUBSCRIPTION_FIELDS, *SUBSCRIPTION_TIMES, "user__username", "last_issue_date")
    for rows in _chunked(
        qs.values("id", *columns, "created_at", "confirm_token", "unsubscribe_token")
    ):
        cats: dict[int, list[str]] = {}
        through = Subscription.categories.through
        for sub_id, code in (
            through.objects.filter(subscription_id__in=[row["id"] for row in rows])
            .order_by("subscription_id", "category_id")
            .values_list("subscription_id", "category_id")
        ):
            cats.setdefault(sub_id, []).append(code)
        for row in rows:
            record: Record = {"type": "subscription", "user": row["user__username"]}
            record.update({name: row[name] for name in SUBSCRIPTION_FIELDS})
            record.update({name: _t(row[name]) for name in SUBSCRIPTION_TIMES})
            record["last_issue_date"] = _t(row["last_issue_date"])
            record["created_at"] = _t(row["created_at"])
            record["categories"] = cats.get(row["id"], [])
            if tokens:
                record["confirm_token"] = row["confirm_token"]
                record["unsubscribe_token"] = row["unsubscribe_token"]
            yield record


def sent_paper_records(qs: QuerySet[SentPaper]) -> Iterator[Record]:
    for row in _rows(qs, ("subscription__email", "paper__arxiv_id", "issue_date")):
        yield {
            "type": "sent_paper",
            "subscription": row["subscription__email"],
            "paper": row["paper__arxiv_id"],
            "issue_date": _t(row["issue_date"]),
        }


def notification_records(qs: QuerySet[Notification]) -> Iterator[Record]:
    columns = ("comment__paper__arxiv_id", "comment__author__username", "comment__created_at")
    for row in _rows(qs, ("user__username", *columns, "reason", "created_at", "mailed_at")):
        yield {
            "type": "notification",
            "user": row["user__username"],
            "comment": _comment_key(
                row["comment__paper__arxiv_id"],
                row["comment__author__username"],
                row["comment__created_at"],
            ),
            "reason": row["reason"],
            "created_at": _t(row["created_at"]),
            "mailed_at": _t(row["mailed_at"]),
        }


def announcement_records(qs: QuerySet[Announcement]) -> Iterator[Record]:
    for row in _rows(qs, ("paper__arxiv_id", "day", "announce_type", "version", "feed")):
        yield {
            "type": "announcement",
            "paper": row["paper__arxiv_id"],
            "day": _t(row["day"]),
            "announce_type": row["announce_type"],
            "version": row["version"],
            "feed": row["feed"],
        }


@dataclass
class Section:
    """One type of record in the file: how to read it out of the database."""

    type: str
    queryset: Callable[[], QuerySet[Any]]
    records: Callable[[QuerySet[Any]], Iterator[Record]]
    since: Callable[[datetime], Q] | None = None


def sections(*, hashes: bool) -> list[Section]:
    """Every type, in the order the file holds them: what a record names comes before it."""

    def day_since(name: str) -> Callable[[datetime], Q]:
        return lambda since: Q(**{f"{name}__gte": since.date()})

    def fields(*names: str) -> Callable[[datetime], Q]:
        return lambda since: _since(since, *names)

    moderated = ModerationAction.objects.values("id")
    return [
        Section("category", Category.objects.none, lambda _: categories()),
        Section("author", Author.objects.none, lambda _: lone_authors()),
        Section("paper", Paper.objects.all, paper_records, fields("changed_at")),
        Section("announcement", Announcement.objects.all, announcement_records, day_since("day")),
        Section(
            "user",
            User.objects.all,
            lambda qs: user_records(qs, hashes=hashes),
            fields("date_joined", "last_login"),
        ),
        Section("profile", Profile.objects.all, profile_records),
        Section("email_address", EmailAddress.objects.all, email_records),
        Section("mail_preference", MailPreference.objects.all, mail_preference_records),
        Section("reader_state", ReaderState.objects.all, reader_state_records),
        Section(
            "api_token",
            ApiToken.objects.all if hashes else ApiToken.objects.none,
            lambda qs: api_token_records(qs, digests=True),
            fields("created_at", "last_used_at", "revoked_at"),
        ),
        Section(
            "entry",
            DailyEntry.objects.all,
            entry_records,
            lambda since: (
                Q(submitted_at__gte=since)
                | Q(pk__in=moderated.filter(created_at__gte=since).values("entry_id"))
            ),
        ),
        Section("paper_links", PaperLinks.objects.all, paper_links_records, fields("set_at")),
        Section("vote", Vote.objects.all, vote_records, fields("created_at")),
        Section(
            "comment",
            Comment.objects.all,
            comment_records,
            lambda since: (
                _since(since, "created_at", "edited_at", "deleted_at")
                | Q(pk__in=moderated.filter(created_at__gte=since).values("comment_id"))
            ),
        ),
        Section(
            "comment_revision", CommentRevision.objects.all, revision_records, fields("replaced_at")
        ),
        Section(
            "moderation_action",
            ModerationAction.objects.all,
            moderation_records,
            fields("created_at"),
        ),
        Section(
            "collection",
            Collection.objects.all,
            collection_records,
            fields("created_at", "updated_at"),
        ),
        Section(
            "collection_item",
            CollectionItem.objects.all,
            collection_item_records,
            fields("added_at"),
        ),
        Section("read_mark", ReadMark.objects.all, read_mark_records, fields("read_at")),
        Section("follow", Follow.objects.all, follow_records, fields("created_at")),
        Section("feedback", Feedback.objects.all, feedback_records, fields("created_at")),
        Section(
            "subscription",
            Subscription.objects.all,
            subscription_records,
            fields("created_at", *SUBSCRIPTION_TIMES),
        ),
        Section("sent_paper", SentPaper.objects.all, sent_paper_records, day_since("issue_date")),
        Section(
            "notification",
            Notification.objects.all,
            notification_records,
            fields("created_at", "mailed_at"),
        ),
    ]


TYPES = (
    "category",
    "author",
    "paper",
    "announcement",
    "user",
    "profile",
    "email_address",
    "mail_preference",
    "reader_state",
    "api_token",
    "entry",
    "paper_links",
    "vote",
    "comment",
    "comment_revision",
    "moderation_action",
    "collection",
    "collection_item",
    "read_mark",
    "follow",
    "feedback",
    "subscription",
    "sent_paper",
    "notification",
)
SINCE_TYPES = tuple(s.type for s in sections(hashes=True) if s.since is not None)


def _line(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(
    out: IO[str],
    *,
    since: datetime | None = None,
    with_password_hashes: bool = False,
    progress: IO[str] | None = None,
) -> dict[str, int]:
    """Write the instance to ``out`` as JSON lines; returns the records written, by type."""
    header = {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "site": getattr(settings, "SITE_NAME", "Daily Papers"),
        "site_url": getattr(settings, "SITE_URL", ""),
        "exported_at": _t(timezone.now()),
        "since": _t(since),
        "password_hashes": with_password_hashes,
    }
    out.write(_line(header))
    counts: dict[str, int] = {}
    for section in sections(hashes=with_password_hashes):
        qs = section.queryset()
        if since is not None and section.since is not None:
            qs = qs.filter(section.since(since))
        total = None if qs.query.is_empty() else qs.count()
        written = 0
        with ProgressBar(f"export {section.type}", total, unit="records", stream=progress) as bar:
            for record in section.records(qs):
                out.write(_line(record))
                written += 1
                if written % CHUNK == 0:
                    bar.set(written)
            bar.set(written)
        counts[section.type] = written
    out.write(_line({"type": "end", "records": sum(counts.values())}))
    out.flush()
    return counts


# --- importing ------------------------------------------------------------------------------

REQUIRED: dict[str, tuple[str, ...]] = {
    "category": ("code",),
    "author": ("name",),
    "paper": ("arxiv_id", "title"),
    "announcement": ("paper", "day", "announce_type"),
    "user": ("username",),
    "profile": ("user",),
    "email_address": ("user", "email"),
    "mail_preference": ("user",),
    "reader_state": ("user",),
    "api_token": ("user", "name", "digest"),
    "entry": ("paper", "day", "submitted_at"),
    "paper_links": ("paper", "set_at"),
    "vote": ("user", "paper"),
    "comment": ("paper", "author", "created_at", "body"),
    "comment_revision": ("comment", "number", "written_at", "replaced_at"),
    "moderation_action": ("kind", "created_at"),
    "collection": ("owner", "slug", "name"),
    "collection_item": ("owner", "collection", "paper"),
    "read_mark": ("user", "paper"),
    "follow": ("user", "kind"),
    "feedback": ("user", "paper", "value"),
    "subscription": ("email",),
    "sent_paper": ("subscription", "paper", "issue_date"),
    "notification": ("user", "comment", "reason"),
}


@dataclass
class Outcome:
    """What an import did: records read, and records that changed the database, by type."""

    read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    @property
    def total_changed(self) -> int:
        return sum(self.changed.values())


def _parse(raw: bytes, number: int) -> Record:
    if b"\x00" in raw:
        raise ImportFailed(number, "holds a NUL byte")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed(number, "is not UTF-8") from None
    if not text.endswith("\n"):
        raise ImportFailed(number, "is cut short (the file ends in the middle of it)")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(number, f"is not JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ImportFailed(number, "is not a JSON object")
    if "\\u0000" in text:
        raise ImportFailed(number, "holds a NUL character")
    return record


def _check(record: Record, number: int) -> str:
    kind = record.get("type")
    if not isinstance(kind, str) or kind not in REQUIRED:
        raise ImportFailed(number, f"has an unknown type {str(kind)[:40]!r}")
    for name in REQUIRED[kind]:
        if record.get(name) in (None, ""):
            raise ImportFailed(number, f"a {kind} record without {name!r}")
    return kind


def _records(stream: IO[bytes]) -> Iterator[tuple[int, Record]]:
    """The file's records with their line numbers, checked: a header of this format and
    version first, an ``end`` record last (so a file cut at a line's end is caught too)."""
    number = 0
    ended = False
    for number, raw in enumerate(stream, start=1):
        if ended:
            raise ImportFailed(number, "comes after the end record")
        record = _parse(raw, number)
        if number == 1:
            if record.get("type") != "header" or record.get("format") != FORMAT:
                raise ImportFailed(1, f"is not a {FORMAT} header: this is not an export file")
            if record.get("version") != VERSION:
                raise ImportFailed(
                    1, f"version {record.get('version')!r}; this site reads version {VERSION}"
                )
            continue
        if record.get("type") == "end":
            if record.get("records") != number - 2:
                raise ImportFailed(
                    number,
                    f"the end record counts {record.get('records')!r} records, "
                    f"the file holds {number - 2}",
                )
            ended = True
            continue
        _check(record, number)
        yield number, record
    if number == 0:
        raise ImportFailed(1, "the file is empty")
    if not ended:
        raise ImportFailed(number, "the file ends without its end record: it was cut short")


def check_file(stream: IO[bytes]) -> int:
    """Read the whole file without writing anything; returns how many records it holds."""
    return sum(1 for _ in _records(stream))


@contextlib.contextmanager
def _own_timestamps() -> Iterator[None]:
    """Keep the file's times: auto_now and auto_now_add fields take the value they are
    given while an import runs."""
    saved: list[tuple[Any, bool, bool]] = []
    for model in (
        Paper,
        ApiToken,
        Vote,
        Comment,
        ModerationAction,
        Collection,
        CollectionItem,
        ReadMark,
        Follow,
        Feedback,
        Subscription,
        Notification,
    ):
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add


def _users(names: Iterable[str | None]) -> dict[str, int]:
    wanted = {n for n in names if n}
    return dict(User.objects.filter(username__in=wanted).values_list("username", "id"))


def _papers(ids: Iterable[str | None]) -> dict[str, int]:
    wanted = {n for n in ids if n}
    return dict(Paper.objects.filter(arxiv_id__in=wanted).values_list("arxiv_id", "id"))


def _need(table: dict[str, int], key: str | None, what: str, line: int) -> int:
    if key is None or key not in table:
        raise ImportFailed(
            line, f"names {what} {str(key)[:100]!r}, which is neither earlier in the file nor here"
        )
    return table[key]


def _comment_id(key: Any, line: int) -> int:
    if not isinstance(key, dict):
        raise ImportFailed(line, "a comment reference must be an object")
    found = (
        Comment.objects.filter(
            paper__arxiv_id=key.get("paper"),
            author__username=key.get("author"),
            created_at=_when(key.get("created_at")),
        )
        .values_list("id", flat=True)
        .first()
    )
    if found is None:
        raise ImportFailed(
            line, f"names a comment that is neither earlier in the file nor here: {key}"
        )
    return found


def _upsert(model: type[models.Model], lookup: Record, values: Record) -> bool:
    """Make the row ``lookup`` names hold ``values`` (the file wins); True if anything was
    written. No signals: an import mails nobody and fills no one's notifications."""
    row = model._default_manager.filter(**lookup).first()
    if row is None:
        model._default_manager.bulk_create([model(**lookup, **values)])
        return True
    diff = {k: v for k, v in values.items() if getattr(row, k) != v}
    if diff:
        model._default_manager.filter(pk=row.pk).update(**diff)
    return bool(diff)


Chunk = list[tuple[int, Record]]


def _import_categories(chunk: Chunk, touched: set[int]) -> int:
    changed = 0
    for _line_no, r in chunk:
        changed += _upsert(Category, {"code": r["code"]}, {"name": r.get("name") or ""})
    return changed


def _author_ids(names: Iterable[str]) -> dict[str, int]:
    wanted = set(names)
    found = dict(Author.objects.filter(name__in=wanted).values_list("name", "id"))
    missing = wanted - found.keys()
    if missing:
        Author.objects.bulk_create([Author(name=n) for n in missing], ignore_conflicts=True)
        found.update(Author.objects.filter(name__in=missing).values_list("name", "id"))
    return found


def _import_authors(chunk: Chunk, touched: set[int]) -> int:
    before = Author.objects.count()
    _author_ids(r["name"] for _, r in chunk)
    return Author.objects.count() - before


def _paper_values(r: Record) -> Record:
    values = {name: r.get(name) for name in PAPER_FIELDS if name != "arxiv_id"}
    for name in ("abstract", "primary_category", "comments", "journal_ref", "doi"):
        values[name] = values[name] or ""
    for name in ("report_no", "license", "repo_url", "project_page", "last_source"):
        values[name] = values[name] or ""
    for name in ("author_names", "categories", "code_links"):
        values[name] = values[name] or []
    values["version"] = values["version"] or 1
    values.update({name: _dt(r.get(name)) for name in PAPER_TIMES})
    values["created_at"] = values["created_at"] or timezone.now()
    values["changed_at"] = values["changed_at"] or timezone.now()
    return values


def _import_papers(chunk: Chunk, touched: set[int]) -> int:
    """A chunk of papers in a few queries: new ones created with their links; one already
    here takes the file's fields unless it holds a later version."""
    by_id = {r["arxiv_id"]: r for _, r in chunk}
    existing = {p.arxiv_id: p for p in Paper.objects.filter(arxiv_id__in=by_id)}
    ids = [p.pk for p in existing.values()]
    authors: dict[int, list[str]] = {}
    for paper_id, name in (
        PaperAuthor.objects.filter(paper_id__in=ids)
        .order_by("paper_id", "position")
        .values_list("paper_id", "author__name")
    ):
        authors.setdefault(paper_id, []).append(name)
    cats: dict[int, list[str]] = {}
    for paper_id, code in (
        PaperCategory.objects.filter(paper_id__in=ids)
        .order_by("paper_id", "id")
        .values_list("paper_id", "category_id")
    ):
        cats.setdefault(paper_id, []).append(code)

    new: list[Record] = []
    relink: list[tuple[int, Record]] = []
    updated: list[str] = []
    for arxiv_id, r in by_id.items():
        values = _paper_values(r)
        paper = existing.get(arxiv_id)
        if paper is None:
            new.append({"arxiv_id": arxiv_id, "needs_index": True, **values})
            continue
        if paper.version > values["version"]:
            continue  # this site knows a later version
        diff = {k: v for k, v in values.items() if getattr(paper, k) != v}
        links_differ = authors.get(paper.pk, []) != list(r.get("authors") or []) or cats.get(
            paper.pk, []
        ) != list(r.get("category_links") or [])
        if diff:
            Paper.objects.filter(pk=paper.pk).update(needs_index=True, **diff)
        if links_differ:
            PaperAuthor.objects.filter(paper_id=paper.pk).delete()
            PaperCategory.objects.filter(paper_id=paper.pk).delete()
            relink.append((paper.pk, r))
        if diff or links_differ:
            updated.append(arxiv_id)
    if new:  # plain rows, as the catalogue's bulk ingest writes them
        columns = catalog_bulk._paper_columns()
        catalog_bulk._insert_rows(
            Paper,
            [column for _, column, _, _ in columns],
            (
                tuple(
                    convert(p[name]) if name in p else default
                    for name, _, convert, default in columns
                )
                for p in new
            ),
        )
        made = dict(catalog_bulk._select_in(Paper, "arxiv_id", "id", [p["arxiv_id"] for p in new]))
        relink.extend((made[p["arxiv_id"]], by_id[p["arxiv_id"]]) for p in new)
    names = catalog_bulk._author_ids({n for _, r in relink for n in (r.get("authors") or [])}, None)
    codes = {c for _, r in relink for c in (r.get("category_links") or [])}
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    Category.objects.bulk_create([Category(code=c) for c in codes - known], ignore_conflicts=True)
    catalog_bulk._insert_rows(
        PaperAuthor,
        ["paper_id", "author_id", "position"],
        ((pk, names[n], i) for pk, r in relink for i, n in enumerate(r.get("authors") or [])),
    )
    catalog_bulk._insert_rows(
        PaperCategory,
        ["paper_id", "category_id"],
        ((pk, c) for pk, r in relink for c in dict.fromkeys(r.get("category_links") or [])),
    )
    changed_ids = [p["arxiv_id"] for p in new] + updated
    if changed_ids:  # the search index takes them on its next run (needs_index is set)
        transaction.on_commit(
            lambda: papers_changed.send(sender=Paper, arxiv_ids=changed_ids, source="import")
        )
    return len(changed_ids)


def _import_announcements(chunk: Chunk, touched: set[int]) -> int:
    papers = _papers(r["paper"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        paper_id = _need(papers, r["paper"], "the paper", line)
        changed += _upsert(
            Announcement,
            {"paper_id": paper_id, "day": _d(r["day"])},
            {
                "announce_type": r["announce_type"],
                "version": r.get("version"),
                "feed": r.get("feed") or "",
            },
        )
    return changed


def _import_users(chunk: Chunk, touched: set[int]) -> int:
    """New users only: an account already here under that name is left as it is (and the
    records that follow attach to it)."""
    present = _users(r["username"] for _, r in chunk)
    changed = 0
    for _line_no, r in chunk:
        if r["username"] in present:
            continue
        user = User(
            username=r["username"],
            email=r.get("email") or "",
            first_name=r.get("first_name") or "",
            last_name=r.get("last_name") or "",
            is_active=bool(r.get("is_active", True)),
            is_staff=bool(r.get("is_staff", False)),
            is_superuser=bool(r.get("is_superuser", False)),
            date_joined=_dt(r.get("date_joined")) or timezone.now(),
            last_login=_dt(r.get("last_login")),
        )
        if r.get("password"):
            user.password = str(r["password"])
        else:
            user.set_unusable_password()
        User.objects.bulk_create([user])
        user = User.objects.get(username=r["username"])
        for name in r.get("groups") or []:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        for perm in r.get("permissions") or []:
            app, _, codename = str(perm).partition(".")
            found = Permission.objects.filter(
                content_type__app_label=app, codename=codename
            ).first()
            if found is not None:
                user.user_permissions.add(found)
        changed += 1
    return changed


def _per_user(model: type[models.Model], keys: Sequence[str], values: Callable[[Record], Record]):  # type: ignore[no-untyped-def]
    def run(chunk: Chunk, touched: set[int]) -> int:
        users = _users(r["user"] for _, r in chunk)
        changed = 0
        for line, r in chunk:
            lookup: Record = {"user_id": _need(users, r["user"], "the user", line)}
            for key in keys:
                lookup[key] = r[key]
            changed += _upsert(model, lookup, values(r))
        return changed

    return run


def _email_values(r: Record) -> Record:
    return {"verified": bool(r.get("verified")), "primary": bool(r.get("primary"))}


def _import_api_tokens(chunk: Chunk, touched: set[int]) -> int:
    users = _users(r["user"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        changed += _upsert(
            ApiToken,
            {"digest": r["digest"]},
            {
                "user_id": _need(users, r["user"], "the user", line),
                "name": r["name"],
                "scope": r.get("scope") or ApiToken.Scope.READ,
                "prefix": r.get("prefix") or "",
                "created_at": _dt(r.get("created_at")) or timezone.now(),
                "last_used_at": _dt(r.get("last_used_at")),
                "revoked_at": _dt(r.get("revoked_at")),
            },
        )
    return changed


def _import_entries(chunk: Chunk, touched: set[int]) -> int:
    papers = _papers(r["paper"] for _, r in chunk)
    users = _users(r.get("submitted_by") for _, r in chunk)
    changed = 0
    for line, r in chunk:
        paper_id = _need(papers, r["paper"], "the paper", line)
        by = r.get("submitted_by")
        values = {
            "day": _d(r["day"]),
            "submitted_by_id": _need(users, by, "the user", line) if by else None,
            "submitted_by_name": r.get("submitted_by_name") or "",
            "submitted_at": _dt(r["submitted_at"]),
            "source": r.get("source") or DailyEntry.Source.MEMBER,
            "hidden": bool(r.get("hidden")),
        }
        if _upsert(DailyEntry, {"paper_id": paper_id}, values):
            changed += 1
        touched.add(paper_id)
    return changed


def _import_paper_links(chunk: Chunk, touched: set[int]) -> int:
    papers = _papers(r["paper"] for _, r in chunk)
    users = _users(r.get("set_by") for _, r in chunk)
    changed = 0
    for line, r in chunk:
        paper_id = _need(papers, r["paper"], "the paper", line)
        by = r.get("set_by")
        values = {
            "code_url": str(r.get("code_url") or "")[:500],
            "project_url": str(r.get("project_url") or "")[:500],
            "set_by_id": _need(users, by, "the user", line) if by else None,
            "set_at": _when(r["set_at"]),
        }
        if _upsert(PaperLinks, {"paper_id": paper_id}, values):
            changed += 1
    return changed


def _import_votes(chunk: Chunk, touched: set[int]) -> int:
    papers = _papers(r["paper"] for _, r in chunk)
    users = _users(r["user"] for _, r in chunk)
    pairs = {
        (_need(users, r["user"], "the user", line), _need(papers, r["paper"], "the paper", line)): r
        for line, r in chunk
    }
    have = set(
        Vote.objects.filter(
            user_id__in={u for u, _ in pairs}, paper_id__in={p for _, p in pairs}
        ).values_list("user_id", "paper_id")
    )
    new = [
        Vote(user_id=u, paper_id=p, created_at=_dt(r.get("created_at")) or timezone.now())
        for (u, p), r in pairs.items()
        if (u, p) not in have
    ]
    Vote.objects.bulk_create(new)
    touched.update(v.paper_id for v in new)
    return len(new)


def _import_comments(chunk: Chunk, touched: set[int]) -> int:
    papers = _papers(r["paper"] for _, r in chunk)
    users = _users(r["author"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        paper_id = _need(papers, r["paper"], "the paper", line)
        lookup = {
            "paper_id": paper_id,
            "author_id": _need(users, r["author"], "the user", line),
            "created_at": _dt(r["created_at"]),
        }
        parent = r.get("parent")
        values = {
            "parent_id": _comment_id(parent, line) if parent else None,
            "body": r["body"],
            "body_html": r.get("body_html") or "",
            "edited_at": _dt(r.get("edited_at")),
            "deleted_at": _dt(r.get("deleted_at")),
            "hidden": bool(r.get("hidden")),
        }
        if _upsert(Comment, lookup, values):
            changed += 1
            touched.add(paper_id)
    return changed


def _import_revisions(chunk: Chunk, touched: set[int]) -> int:
    changed = 0
    for line, r in chunk:
        changed += _upsert(
            CommentRevision,
            {"comment_id": _comment_id(r["comment"], line), "number": r["number"]},
            {
                "body": r.get("body") or "",
                "body_html": r.get("body_html") or "",
                "written_at": _dt(r["written_at"]),
                "replaced_at": _dt(r["replaced_at"]),
            },
        )
    return changed


def _import_moderation(chunk: Chunk, touched: set[int]) -> int:
    users = _users(n for _, r in chunk for n in (r.get("moderator"), r.get("target_user")))
    papers = _papers(r.get("entry") for _, r in chunk)
    changed = 0
    for line, r in chunk:
        moderator = r.get("moderator")
        target = r.get("target_user")
        entry_id = None
        if r.get("entry"):
            paper_id = _need(papers, r["entry"], "the paper", line)
            entry_id = (
                DailyEntry.objects.filter(paper_id=paper_id).values_list("id", flat=True).first()
            )
            if entry_id is None:
                raise ImportFailed(
                    line, f"names the entry of {r['entry']!r}, which is not featured"
                )
        changed += _upsert(
            ModerationAction,
            {
                "kind": r["kind"],
                "moderator_id": _need(users, moderator, "the user", line) if moderator else None,
                "created_at": _dt(r["created_at"]),
            },
            {
                "comment_id": _comment_id(r["comment"], line) if r.get("comment") else None,
                "entry_id": entry_id,
                "target_user_id": _need(users, target, "the user", line) if target else None,
                "reason": r.get("reason") or "",
            },
        )
    return changed


def _import_collections(chunk: Chunk, touched: set[int]) -> int:
    users = _users(r["owner"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        owner = _need(users, r["owner"], "the user", line)
        values = {
            "name": r["name"],
            "description": r.get("description") or "",
            "is_public": bool(r.get("is_public")),
            "is_reading_list": bool(r.get("is_reading_list")),
            "created_at": _dt(r.get("created_at")) or timezone.now(),
            "updated_at": _dt(r.get("updated_at")) or timezone.now(),
        }
        lookup: Record = {"owner_id": owner, "slug": r["slug"]}
        if values["is_reading_list"]:
            here = Collection.objects.filter(owner_id=owner, is_reading_list=True).first()
            if here is not None:  # one reading list a reader: the file's fills the one here
                lookup["slug"] = here.slug
        changed += _upsert(Collection, lookup, values)
    return changed


def _collection_id(owner: int, slug: str, reading_list: bool, line: int) -> int:
    mine = Collection.objects.filter(owner_id=owner)
    found = mine.filter(is_reading_list=True) if reading_list else mine.filter(slug=slug)
    cid = found.values_list("id", flat=True).first()
    if cid is None:
        raise ImportFailed(line, f"names the collection {slug[:100]!r}, which is not here")
    return cid


def _import_collection_items(chunk: Chunk, touched: set[int]) -> int:
    users = _users(r["owner"] for _, r in chunk)
    papers = _papers(r["paper"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        owner = _need(users, r["owner"], "the user", line)
        changed += _upsert(
            CollectionItem,
            {
                "collection_id": _collection_id(
                    owner, str(r["collection"]), bool(r.get("reading_list")), line
                ),
                "paper_id": _need(papers, r["paper"], "the paper", line),
            },
            {
                "note": r.get("note") or "",
                "position": int(r.get("position") or 0),
                "source": r.get("source") or CollectionItem.Source.SAVED,
                "added_at": _dt(r.get("added_at")) or timezone.now(),
            },
        )
    return changed


def _per_user_paper(model: type[models.Model], values: Callable[[Record], Record]):  # type: ignore[no-untyped-def]
    def run(chunk: Chunk, touched: set[int]) -> int:
        users = _users(r["user"] for _, r in chunk)
        papers = _papers(r["paper"] for _, r in chunk)
        changed = 0
        for line, r in chunk:
            lookup = {
                "user_id": _need(users, r["user"], "the user", line),
                "paper_id": _need(papers, r["paper"], "the paper", line),
            }
            changed += _upsert(model, lookup, values(r))
        return changed

    return run


def _import_follows(chunk: Chunk, touched: set[int]) -> int:
    users = _users(r["user"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        lookup: Record = {"user_id": _need(users, r["user"], "the user", line), "kind": r["kind"]}
        if r["kind"] == Follow.Kind.AUTHOR:
            lookup["author_id"] = _author_ids([str(r.get("author") or "")])[
                str(r.get("author") or "")
            ]
        elif r["kind"] == Follow.Kind.CATEGORY:
            code = str(r.get("category") or "")
            Category.objects.get_or_create(code=code)
            lookup["category_id"] = code
        elif r["kind"] == Follow.Kind.SEARCH:
            lookup["query"] = str(r.get("query") or "")
        else:
            raise ImportFailed(line, f"a follow of an unknown kind {str(r['kind'])[:40]!r}")
        if (
            lookup.get("author_id") == ""
            or lookup.get("category_id") == ""
            or lookup.get("query") == ""
        ):
            raise ImportFailed(line, "a follow without what it follows")
        values = {
            "label": r.get("label") or "",
            "created_at": _dt(r.get("created_at")) or timezone.now(),
        }
        changed += _upsert(Follow, lookup, values)
    return changed


def _import_subscriptions(chunk: Chunk, touched: set[int]) -> int:
    users = _users(r.get("user") for _, r in chunk)
    changed = 0
    for line, r in chunk:
        email = str(r["email"]).lower()
        user = r.get("user")
        values: Record = {
            "user_id": _need(users, user, "the user", line) if user else None,
            "frequency": r.get("frequency") or "daily",
            "weekday": int(r.get("weekday") or 0),
            "hour": int(r["hour"]) if r.get("hour") is not None else 7,
            "time_zone": r.get("time_zone") or "UTC",
            "personal_picks": bool(r.get("personal_picks", True)),
            "interests": r.get("interests") or {},
            "paused_reason": r.get("paused_reason") or "",
            "hard_bounces": int(r.get("hard_bounces") or 0),
            "last_issue_date": _d(r.get("last_issue_date")),
            "created_at": _dt(r.get("created_at")) or timezone.now(),
        }
        values.update({name: _dt(r.get(name)) for name in SUBSCRIPTION_TIMES})
        here = Subscription.objects.filter(email=email).first()
        for token in ("confirm_token", "unsubscribe_token"):
            given = r.get(token)
            taken = Subscription.objects.filter(**{token: given}).exclude(email=email).exists()
            if given and not taken:
                values[token] = given  # the links in mails already sent keep working
        if here is None:
            sub = Subscription(email=email, **values)
            Subscription.objects.bulk_create([sub])
            here = Subscription.objects.get(email=email)
            changed += 1
        else:
            changed += _upsert(Subscription, {"email": email}, values)
        codes = sorted(set(r.get("categories") or []))
        if sorted(here.categories.values_list("code", flat=True)) != codes:
            for code in codes:
                Category.objects.get_or_create(code=code)
            here.categories.set(codes)
            changed += 1
    return changed


def _import_sent(chunk: Chunk, touched: set[int]) -> int:
    papers = _papers(r["paper"] for _, r in chunk)
    subs = dict(
        Subscription.objects.filter(
            email__in={str(r["subscription"]).lower() for _, r in chunk}
        ).values_list("email", "id")
    )
    changed = 0
    for line, r in chunk:
        changed += _upsert(
            SentPaper,
            {
                "subscription_id": _need(
                    subs, str(r["subscription"]).lower(), "the subscription", line
                ),
                "paper_id": _need(papers, r["paper"], "the paper", line),
            },
            {"issue_date": _d(r["issue_date"])},
        )
    return changed


def _import_notifications(chunk: Chunk, touched: set[int]) -> int:
    users = _users(r["user"] for _, r in chunk)
    changed = 0
    for line, r in chunk:
        changed += _upsert(
            Notification,
            {
                "user_id": _need(users, r["user"], "the user", line),
                "comment_id": _comment_id(r["comment"], line),
            },
            {
                "reason": r["reason"],
                "created_at": _dt(r.get("created_at")) or timezone.now(),
                "mailed_at": _dt(r.get("mailed_at")),
            },
        )
    return changed


IMPORTERS: dict[str, Callable[[Chunk, set[int]], int]] = {
    "category": _import_categories,
    "author": _import_authors,
    "paper": _import_papers,
    "announcement": _import_announcements,
    "user": _import_users,
    "profile": _per_user(
        Profile,
        (),
        lambda r: {
            "suspended_at": _dt(r.get("suspended_at")),
            "suspended_reason": r.get("suspended_reason") or "",
        },
    ),
    "email_address": _per_user(EmailAddress, ("email",), _email_values),
    "mail_preference": _per_user(
        MailPreference, (), lambda r: {"replies": bool(r.get("replies", True))}
    ),
    "reader_state": _per_user(
        ReaderState,
        (),
        lambda r: {
            "for_you_seen_at": _dt(r.get("for_you_seen_at")),
            "for_you_previous_at": _dt(r.get("for_you_previous_at")),
            "hide_read": bool(r.get("hide_read")),
            "hide_saved": bool(r.get("hide_saved")),
        },
    ),
    "api_token": _import_api_tokens,
    "entry": _import_entries,
    "paper_links": _import_paper_links,
    "vote": _import_votes,
    "comment": _import_comments,
    "comment_revision": _import_revisions,
    "moderation_action": _import_moderation,
    "collection": _import_collections,
    "collection_item": _import_collection_items,
    "read_mark": _per_user_paper(
        ReadMark, lambda r: {"read_at": _dt(r.get("read_at")) or timezone.now()}
    ),
    "follow": _import_follows,
    "feedback": _per_user_paper(
        Feedback,
        lambda r: {"value": r["value"], "created_at": _dt(r.get("created_at")) or timezone.now()},
    ),
    "subscription": _import_subscriptions,
    "sent_paper": _import_sent,
    "notification": _import_notifications,
}


def recount(paper_ids: Iterable[int]) -> int:
    """Put the featured entries of these papers right: ``upvotes`` (their votes),
    ``comment_count`` (comments readers see) and ``hot`` (``trending_score`` of the
    featuring and the votes' times). The same numbers the vote and comment verbs keep as
    they go; returns the entries fixed."""
    ids = list(set(paper_ids))
    fixed = 0
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        votes: dict[int, list[datetime]] = {}
        for paper_id, at in Vote.objects.filter(paper_id__in=part).values_list(
            "paper_id", "created_at"
        ):
            votes.setdefault(paper_id, []).append(at)
        shown = dict(
            Comment.objects.shown()
            .filter(paper_id__in=part)
            .values_list("paper_id")
            .annotate(n=Count("id"))
            .values_list("paper_id", "n")
        )
        for entry in DailyEntry.objects.filter(paper_id__in=part):
            times = votes.get(entry.paper_id, [])
            up = len(times)
            count = shown.get(entry.paper_id, 0)
            hot = trending_score(entry.submitted_at, times)
            if (entry.upvotes, entry.comment_count, entry.hot) != (up, count, hot):
                DailyEntry.objects.filter(pk=entry.pk).update(
                    upvotes=up, comment_count=count, hot=hot
                )
                fixed += 1
    return fixed


def import_file(path: str, *, progress: IO[str] | None = None, chunk_size: int = CHUNK) -> Outcome:
    """Import an export file. The whole file is read and checked first, so a file that is
    not JSON lines of this format, holds an unknown type, or was cut short changes nothing;
    then it is written a chunk at a time, each chunk in one transaction. Raises
    ``ImportFailed`` with the line at fault."""
    with Path(path).open("rb") as stream:
        total = check_file(stream)
    outcome = Outcome()
    with (
        Path(path).open("rb") as stream,
        _own_timestamps(),
        ProgressBar("import", total, unit="records", stream=progress) as bar,
    ):
        done = 0
        pending: Chunk = []
        for number, record in _records(stream):
            if pending and (pending[0][1]["type"] != record["type"] or len(pending) >= chunk_size):
                _write(pending, outcome)
                done += len(pending)
                bar.set(done)
                pending = []
            pending.append((number, record))
        if pending:
            _write(pending, outcome)
            done += len(pending)
            bar.set(done)
    if outcome.total_changed:
        pagecache.bump()
    return outcome


def _write(chunk: Chunk, outcome: Outcome) -> None:
    kind = chunk[0][1]["type"]
    touched: set[int] = set()
    try:
        with transaction.atomic():
            changed = IMPORTERS[kind](chunk, touched)
            if touched and kind in ("entry", "vote", "comment"):
                recount(touched)
    except ImportFailed:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, DatabaseError) as exc:
        raise ImportFailed(
            chunk[0][0],
            f"a {kind} record in lines {chunk[0][0]}-{chunk[-1][0]} cannot be read: {exc}",
        ) from None
    outcome.read[kind] = outcome.read.get(kind, 0) + len(chunk)
    outcome.changed[kind] = outcome.changed.get(kind, 0) + changed


# --- one reader's own data ------------------------------------------------------------------


def reader_data(user: User) -> Record:
    """Everything of this reader's own, for them to download: never a password hash, a
    token's digest, or another reader's private records."""
    uid = user.pk
    account = _user_record(
        {name: getattr(user, name) for name in USER_COLUMNS},
        list(user.groups.values_list("name", flat=True)),
        [],
        hashes=False,
    )
    account.pop("type")
    account.pop("permissions")
    mine_comments = Comment.objects.filter(author_id=uid)
    return {
        "format": f"{FORMAT}-reader",
        "version": VERSION,
        "site": getattr(settings, "SITE_NAME", "Daily Papers"),
        "exported_at": _t(timezone.now()),
        "account": account,
        "profile": _plain(profile_records(Profile.objects.filter(user_id=uid))),
        "email_addresses": _plain(email_records(EmailAddress.objects.filter(user_id=uid))),
        "entries_submitted": _plain(entry_records(DailyEntry.objects.filter(submitted_by_id=uid))),
        "votes": _plain(vote_records(Vote.objects.filter(user_id=uid))),
        "comments": _plain(comment_records(mine_comments)),
        "comment_revisions": _plain(
            revision_records(CommentRevision.objects.filter(comment__author_id=uid))
        ),
        "collections": _plain(collection_records(Collection.objects.filter(owner_id=uid))),
        "collection_items": _plain(
            collection_item_records(CollectionItem.objects.filter(collection__owner_id=uid))
        ),
        "read_marks": _plain(read_mark_records(ReadMark.objects.filter(user_id=uid))),
        "follows": _plain(follow_records(Follow.objects.filter(user_id=uid))),
        "feedback": _plain(feedback_records(Feedback.objects.filter(user_id=uid))),
        "reader_state": _plain(reader_state_records(ReaderState.objects.filter(user_id=uid))),
        "subscriptions": _plain(
            subscription_records(Subscription.objects.filter(user_id=uid), tokens=False)
        ),
        "mail_preference": _plain(
            mail_preference_records(MailPreference.objects.filter(user_id=uid))
        ),
        "api_tokens": _plain(
            api_token_records(ApiToken.objects.filter(user_id=uid), digests=False)
        ),
    }


def _plain(records: Iterator[Record]) -> list[Record]:
    out = []
    for record in records:
        record.pop("type", None)
        out.append(record)
    return out
