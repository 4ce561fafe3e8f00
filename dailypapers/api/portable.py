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
from collections.abc import Callable, Iterable, Iterator
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


def _rows(qs: QuerySet[Any], columns: Iterable[str]) -> Iterator[Record]:
    for rows in _chunked(qs.values("id", *columns)):
        yield from rows


@dataclass(frozen=True)
class Out:
    """One field of a record: ``key`` in the file, read from the ``column`` of a row (a time
    as ISO 8601 text when ``time``); ``comment``: ``column`` is the path to a comment, whose
    natural key the field holds (null when there is none)."""

    key: str
    column: str = ""
    time: bool = False
    comment: bool = False

    def columns(self) -> tuple[str, ...]:
        column = self.column or self.key
        if self.comment:
            return tuple(f"{column}__{name}" for name in COMMENT_KEY_COLUMNS)
        return (column,)

    def value(self, row: Record) -> Any:
        if self.comment:
            paper, author, created_at = (row[name] for name in self.columns())
            return None if created_at is None else _comment_key(paper, author, created_at)
        value = row[self.column or self.key]
        return _t(value) if self.time else value


COMMENT_KEY_COLUMNS = ("paper__arxiv_id", "author__username", "created_at")


def _time(key: str, column: str = "") -> Out:
    return Out(key, column, time=True)


@dataclass(frozen=True)
class Shape:
    """How the rows of one model become records of one ``type``: its fields in order, and
    the ``secret`` ones (a token's digest) that go only into a full export."""

    type: str
    fields: tuple[Out, ...]
    secret: tuple[Out, ...] = ()

    def records(self, qs: QuerySet[Any], *, secrets: bool = False) -> Iterator[Record]:
        outs = self.fields + (self.secret if secrets else ())
        columns = dict.fromkeys(c for out in self.fields + self.secret for c in out.columns())
        for row in _rows(qs, columns):
            record: Record = {"type": self.type}
            for out in outs:
                record[out.key] = out.value(row)
            yield record


USER = Out("user", "user__username")
PAPER = Out("paper", "paper__arxiv_id")

PROFILE = Shape("profile", (USER, _time("suspended_at"), Out("suspended_reason")))
EMAIL_ADDRESS = Shape("email_address", (USER, Out("email"), Out("verified"), Out("primary")))
MAIL_PREFERENCE = Shape("mail_preference", (USER, Out("replies")))
READER_STATE = Shape(
    "reader_state",
    (
        USER,
        _time("for_you_seen_at"),
        _time("for_you_previous_at"),
        Out("hide_read"),
        Out("hide_saved"),
    ),
)
API_TOKEN = Shape(
    "api_token",
    (
        USER,
        Out("name"),
        Out("scope"),
        Out("prefix"),
        _time("created_at"),
        _time("last_used_at"),
        _time("revoked_at"),
    ),
    secret=(Out("digest"),),
)
ENTRY = Shape(
    "entry",
    (
        PAPER,
        _time("day"),
        Out("submitted_by", "submitted_by__username"),
        Out("submitted_by_name"),
        _time("submitted_at"),
        Out("source"),
        Out("hidden"),
        # derived: recomputed on import from the votes and comments
        Out("upvotes"),
        Out("comment_count"),
        Out("hot"),
    ),
)
PAPER_LINKS = Shape(
    "paper_links",
    (
        PAPER,
        Out("code_url"),
        Out("project_url"),
        Out("set_by", "set_by__username"),
        _time("set_at"),
    ),
)
VOTE = Shape("vote", (USER, PAPER, _time("created_at")))
# Comments by ascending id: a reply always comes after the comment it answers.
COMMENT = Shape(
    "comment",
    (
        PAPER,
        Out("author", "author__username"),
        _time("created_at"),
        Out("parent", comment=True),
        Out("body"),
        Out("body_html"),
        _time("edited_at"),
        _time("deleted_at"),
        Out("hidden"),
    ),
)
COMMENT_REVISION = Shape(
    "comment_revision",
    (
        Out("comment", comment=True),
        Out("number"),
        Out("body"),
        Out("body_html"),
        _time("written_at"),
        _time("replaced_at"),
    ),
)
MODERATION_ACTION = Shape(
    "moderation_action",
    (
        Out("moderator", "moderator__username"),
        Out("kind"),
        _time("created_at"),
        Out("comment", comment=True),
        Out("entry", "entry__paper__arxiv_id"),
        Out("target_user", "target_user__username"),
        Out("reason"),
    ),
)
COLLECTION = Shape(
    "collection",
    (
        Out("owner", "owner__username"),
        Out("slug"),
        Out("name"),
        Out("description"),
        Out("is_public"),
        Out("is_reading_list"),
        _time("created_at"),
        _time("updated_at"),
    ),
)
COLLECTION_ITEM = Shape(
    "collection_item",
    (
        Out("owner", "collection__owner__username"),
        Out("collection", "collection__slug"),
        Out("reading_list", "collection__is_reading_list"),
        PAPER,
        Out("note"),
        Out("position"),
        Out("source"),
        _time("added_at"),
    ),
)
READ_MARK = Shape("read_mark", (USER, PAPER, _time("read_at")))
FOLLOW = Shape(
    "follow",
    (
        USER,
        Out("kind"),
        Out("author", "author__name"),
        Out("category", "category_id"),
        Out("query"),
        Out("label"),
        _time("created_at"),
    ),
)
FEEDBACK = Shape("feedback", (USER, PAPER, Out("value"), _time("created_at")))
SENT_PAPER = Shape(
    "sent_paper",
    (Out("subscription", "subscription__email"), PAPER, _time("issue_date")),
)
NOTIFICATION = Shape(
    "notification",
    (USER, Out("comment", comment=True), Out("reason"), _time("created_at"), _time("mailed_at")),
)
ANNOUNCEMENT = Shape(
    "announcement",
    (PAPER, _time("day"), Out("announce_type"), Out("version"), Out("feed")),
)


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


@dataclass
class Section:
    """One type of record in the file: how to read it out of the database (a ``Shape``, or
    ``records`` for the types that read more than one table)."""

    shape: Shape | str
    queryset: Callable[[], QuerySet[Any]]
    since: Callable[[datetime], Q] | None = None
    records: Callable[[QuerySet[Any]], Iterator[Record]] | None = None

    @property
    def type(self) -> str:
        return self.shape if isinstance(self.shape, str) else self.shape.type

    def read(self, qs: QuerySet[Any]) -> Iterator[Record]:
        if self.records is not None:
            return self.records(qs)
        assert isinstance(self.shape, Shape)
        return self.shape.records(qs, secrets=True)


def sections(*, hashes: bool) -> list[Section]:
    """Every type, in the order the file holds them: what a record names comes before it."""

    def day_since(name: str) -> Callable[[datetime], Q]:
        return lambda since: Q(**{f"{name}__gte": since.date()})

    def fields(*names: str) -> Callable[[datetime], Q]:
        return lambda since: _since(since, *names)

    moderated = ModerationAction.objects.values("id")
    return [
        Section("category", Category.objects.none, since=None, records=lambda _: categories()),
        Section("author", Author.objects.none, since=None, records=lambda _: lone_authors()),
        Section("paper", Paper.objects.all, fields("changed_at"), paper_records),
        Section(ANNOUNCEMENT, Announcement.objects.all, day_since("day")),
        Section(
            "user",
            User.objects.all,
            fields("date_joined", "last_login"),
            lambda qs: user_records(qs, hashes=hashes),
        ),
        Section(PROFILE, Profile.objects.all),
        Section(EMAIL_ADDRESS, EmailAddress.objects.all),
        Section(MAIL_PREFERENCE, MailPreference.objects.all),
        Section(READER_STATE, ReaderState.objects.all),
        Section(
            API_TOKEN,
            ApiToken.objects.all if hashes else ApiToken.objects.none,
            fields("created_at", "last_used_at", "revoked_at"),
        ),
        Section(
            ENTRY,
            DailyEntry.objects.all,
            lambda since: (
                Q(submitted_at__gte=since)
                | Q(pk__in=moderated.filter(created_at__gte=since).values("entry_id"))
            ),
        ),
        Section(PAPER_LINKS, PaperLinks.objects.all, fields("set_at")),
        Section(VOTE, Vote.objects.all, fields("created_at")),
        Section(
            COMMENT,
            Comment.objects.all,
            lambda since: (
                _since(since, "created_at", "edited_at", "deleted_at")
                | Q(pk__in=moderated.filter(created_at__gte=since).values("comment_id"))
            ),
        ),
        Section(COMMENT_REVISION, CommentRevision.objects.all, fields("replaced_at")),
        Section(
            MODERATION_ACTION,
            ModerationAction.objects.all,
            fields("created_at"),
        ),
        Section(
            COLLECTION,
            Collection.objects.all,
            fields("created_at", "updated_at"),
        ),
        Section(
            COLLECTION_ITEM,
            CollectionItem.objects.all,
            fields("added_at"),
        ),
        Section(READ_MARK, ReadMark.objects.all, fields("read_at")),
        Section(FOLLOW, Follow.objects.all, fields("created_at")),
        Section(FEEDBACK, Feedback.objects.all, fields("created_at")),
        Section(
            "subscription",
            Subscription.objects.all,
            fields("created_at", *SUBSCRIPTION_TIMES),
            subscription_records,
        ),
        Section(SENT_PAPER, SentPaper.objects.all, day_since("issue_date")),
        Section(
            NOTIFICATION,
            Notification.objects.all,
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
            for record in section.read(qs):
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
Tables = dict[str, dict[str, int]]


def _subscriptions(emails: Iterable[str | None]) -> dict[str, int]:
    wanted = {str(e).lower() for e in emails if e}
    return dict(Subscription.objects.filter(email__in=wanted).values_list("email", "id"))


# What a record may name by natural key, looked up once a chunk: name -> id.
LOOKUPS: dict[str, Callable[[Iterable[str | None]], dict[str, int]]] = {
    "user": _users,
    "paper": _papers,
    "subscription": _subscriptions,
}


class In:
    """How one field of a row comes from a record (``line`` is the record's, for errors)."""

    def names(self) -> tuple[tuple[str, str], ...]:
        """(what, record key): the natural keys it needs looked up (``LOOKUPS``)."""
        return ()

    def __call__(self, r: Record, tables: Tables, line: int) -> Any:
        raise NotImplementedError


def _same(value: Any) -> Any:
    return value


def _or(default: Any) -> Callable[[Any], Any]:
    return lambda value: value or default


def _dt_or_now(value: Any) -> datetime:
    return _dt(value) or timezone.now()


@dataclass(frozen=True)
class Value(In):
    """The record's ``key`` (``default`` when absent), converted."""

    key: str
    convert: Callable[[Any], Any] = _same
    default: Any = None

    def __call__(self, r: Record, tables: Tables, line: int) -> Any:
        return self.convert(r.get(self.key, self.default))


@dataclass(frozen=True)
class Ref(In):
    """The id of the ``what`` (user, paper, subscription) the record's ``key`` names; None
    for an ``optional`` one it leaves empty."""

    what: str
    key: str
    optional: bool = False

    def names(self) -> tuple[tuple[str, str], ...]:
        return ((self.what, self.key),)

    def __call__(self, r: Record, tables: Tables, line: int) -> Any:
        name = r.get(self.key)
        if self.optional and not name:
            return None
        if self.what == "subscription":
            name = str(name).lower()
        return _need(tables[self.what], name, f"the {self.what}", line)


@dataclass(frozen=True)
class CommentRef(In):
    """The id of the comment the record's ``key`` names by its natural key."""

    key: str
    optional: bool = False

    def __call__(self, r: Record, tables: Tables, line: int) -> Any:
        key = r.get(self.key)
        if self.optional and not key:
            return None
        return _comment_id(key, line)


class CollectionRef(In):
    """The id of the collection a collection item names (its owner's reading list, or the
    owner's collection of that slug)."""

    def names(self) -> tuple[tuple[str, str], ...]:
        return (("user", "owner"),)

    def __call__(self, r: Record, tables: Tables, line: int) -> Any:
        owner = _need(tables["user"], r["owner"], "the user", line)
        return _collection_id(owner, str(r["collection"]), bool(r.get("reading_list")), line)


@dataclass(frozen=True)
class Upsert:
    """The importer of a type whose records each make or update one row: the row ``lookup``
    names takes ``values`` (the file wins). ``touch``: the featured entries of the paper
    (``paper_id``) are recounted for every record ("always") or for those that changed
    something ("changed")."""

    model: type[models.Model]
    lookup: dict[str, In]
    values: dict[str, In]
    touch: str = ""

    def __call__(self, chunk: Chunk, touched: set[int]) -> int:
        keys: dict[str, list[str]] = {}
        for get in (*self.lookup.values(), *self.values.values()):
            for what, key in get.names():
                keys.setdefault(what, []).append(key)
        tables = {
            what: LOOKUPS[what](r.get(key) for _, r in chunk for key in names)
            for what, names in keys.items()
        }
        changed = 0
        for line, r in chunk:
            lookup = {name: get(r, tables, line) for name, get in self.lookup.items()}
            values = {name: get(r, tables, line) for name, get in self.values.items()}
            wrote = _upsert(self.model, lookup, values)
            changed += wrote
            if self.touch == "always" or (self.touch == "changed" and wrote):
                touched.add(lookup["paper_id"])
        return changed


def _url(value: Any) -> str:
    return str(value or "")[:500]


USER_ID = Ref("user", "user")
PAPER_ID = Ref("paper", "paper")
TEXT: Callable[[Any], Any] = _or("")


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
        columns = catalog_bulk.paper_columns()
        catalog_bulk.insert_rows(
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
        made = dict(catalog_bulk.select_in(Paper, "arxiv_id", "id", [p["arxiv_id"] for p in new]))
        relink.extend((made[p["arxiv_id"]], by_id[p["arxiv_id"]]) for p in new)
    names = catalog_bulk.author_ids({n for _, r in relink for n in (r.get("authors") or [])}, None)
    codes = {c for _, r in relink for c in (r.get("category_links") or [])}
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    Category.objects.bulk_create([Category(code=c) for c in codes - known], ignore_conflicts=True)
    catalog_bulk.insert_rows(
        PaperAuthor,
        ["paper_id", "author_id", "position"],
        ((pk, names[n], i) for pk, r in relink for i, n in enumerate(r.get("authors") or [])),
    )
    catalog_bulk.insert_rows(
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


IMPORTERS: dict[str, Callable[[Chunk, set[int]], int]] = {
    "category": Upsert(Category, {"code": Value("code")}, {"name": Value("name", TEXT)}),
    "author": _import_authors,
    "paper": _import_papers,
    "announcement": Upsert(
        Announcement,
        {"paper_id": PAPER_ID, "day": Value("day", _d)},
        {
            "announce_type": Value("announce_type"),
            "version": Value("version"),
            "feed": Value("feed", TEXT),
        },
    ),
    "user": _import_users,
    "profile": Upsert(
        Profile,
        {"user_id": USER_ID},
        {
            "suspended_at": Value("suspended_at", _dt),
            "suspended_reason": Value("suspended_reason", TEXT),
        },
    ),
    "email_address": Upsert(
        EmailAddress,
        {"user_id": USER_ID, "email": Value("email")},
        {"verified": Value("verified", bool), "primary": Value("primary", bool)},
    ),
    "mail_preference": Upsert(
        MailPreference, {"user_id": USER_ID}, {"replies": Value("replies", bool, default=True)}
    ),
    "reader_state": Upsert(
        ReaderState,
        {"user_id": USER_ID},
        {
            "for_you_seen_at": Value("for_you_seen_at", _dt),
            "for_you_previous_at": Value("for_you_previous_at", _dt),
            "hide_read": Value("hide_read", bool),
            "hide_saved": Value("hide_saved", bool),
        },
    ),
    "api_token": Upsert(
        ApiToken,
        {"digest": Value("digest")},
        {
            "user_id": USER_ID,
            "name": Value("name"),
            "scope": Value("scope", _or(ApiToken.Scope.READ)),
            "prefix": Value("prefix", TEXT),
            "created_at": Value("created_at", _dt_or_now),
            "last_used_at": Value("last_used_at", _dt),
            "revoked_at": Value("revoked_at", _dt),
        },
    ),
    "entry": Upsert(
        DailyEntry,
        {"paper_id": PAPER_ID},
        {
            "day": Value("day", _d),
            "submitted_by_id": Ref("user", "submitted_by", optional=True),
            "submitted_by_name": Value("submitted_by_name", TEXT),
            "submitted_at": Value("submitted_at", _dt),
            "source": Value("source", _or(DailyEntry.Source.MEMBER)),
            "hidden": Value("hidden", bool),
        },
        touch="always",
    ),
    "paper_links": Upsert(
        PaperLinks,
        {"paper_id": PAPER_ID},
        {
            "code_url": Value("code_url", _url),
            "project_url": Value("project_url", _url),
            "set_by_id": Ref("user", "set_by", optional=True),
            "set_at": Value("set_at", _dt),
        },
    ),
    "vote": _import_votes,
    "comment": Upsert(
        Comment,
        {
            "paper_id": PAPER_ID,
            "author_id": Ref("user", "author"),
            "created_at": Value("created_at", _dt),
        },
        {
            "parent_id": CommentRef("parent", optional=True),
            "body": Value("body"),
            "body_html": Value("body_html", TEXT),
            "edited_at": Value("edited_at", _dt),
            "deleted_at": Value("deleted_at", _dt),
            "hidden": Value("hidden", bool),
        },
        touch="changed",
    ),
    "comment_revision": Upsert(
        CommentRevision,
        {"comment_id": CommentRef("comment"), "number": Value("number")},
        {
            "body": Value("body", TEXT),
            "body_html": Value("body_html", TEXT),
            "written_at": Value("written_at", _dt),
            "replaced_at": Value("replaced_at", _dt),
        },
    ),
    "moderation_action": _import_moderation,
    "collection": _import_collections,
    "collection_item": Upsert(
        CollectionItem,
        {"collection_id": CollectionRef(), "paper_id": PAPER_ID},
        {
            "note": Value("note", TEXT),
            "position": Value("position", lambda v: int(v or 0)),
            "source": Value("source", _or(CollectionItem.Source.SAVED)),
            "added_at": Value("added_at", _dt_or_now),
        },
    ),
    "read_mark": Upsert(
        ReadMark,
        {"user_id": USER_ID, "paper_id": PAPER_ID},
        {"read_at": Value("read_at", _dt_or_now)},
    ),
    "follow": _import_follows,
    "feedback": Upsert(
        Feedback,
        {"user_id": USER_ID, "paper_id": PAPER_ID},
        {"value": Value("value"), "created_at": Value("created_at", _dt_or_now)},
    ),
    "subscription": _import_subscriptions,
    "sent_paper": Upsert(
        SentPaper,
        {"subscription_id": Ref("subscription", "subscription"), "paper_id": PAPER_ID},
        {"issue_date": Value("issue_date", _d)},
    ),
    "notification": Upsert(
        Notification,
        {"user_id": USER_ID, "comment_id": CommentRef("comment")},
        {
            "reason": Value("reason"),
            "created_at": Value("created_at", _dt_or_now),
            "mailed_at": Value("mailed_at", _dt),
        },
    ),
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
        "profile": _plain(PROFILE.records(Profile.objects.filter(user_id=uid))),
        "email_addresses": _plain(EMAIL_ADDRESS.records(EmailAddress.objects.filter(user_id=uid))),
        "entries_submitted": _plain(ENTRY.records(DailyEntry.objects.filter(submitted_by_id=uid))),
        "votes": _plain(VOTE.records(Vote.objects.filter(user_id=uid))),
        "comments": _plain(COMMENT.records(mine_comments)),
        "comment_revisions": _plain(
            COMMENT_REVISION.records(CommentRevision.objects.filter(comment__author_id=uid))
        ),
        "collections": _plain(COLLECTION.records(Collection.objects.filter(owner_id=uid))),
        "collection_items": _plain(
            COLLECTION_ITEM.records(CollectionItem.objects.filter(collection__owner_id=uid))
        ),
        "read_marks": _plain(READ_MARK.records(ReadMark.objects.filter(user_id=uid))),
        "follows": _plain(FOLLOW.records(Follow.objects.filter(user_id=uid))),
        "feedback": _plain(FEEDBACK.records(Feedback.objects.filter(user_id=uid))),
        "reader_state": _plain(READER_STATE.records(ReaderState.objects.filter(user_id=uid))),
        "subscriptions": _plain(
            subscription_records(Subscription.objects.filter(user_id=uid), tokens=False)
        ),
        "mail_preference": _plain(
            MAIL_PREFERENCE.records(MailPreference.objects.filter(user_id=uid))
        ),
        "api_tokens": _plain(API_TOKEN.records(ApiToken.objects.filter(user_id=uid))),
    }


def _plain(records: Iterator[Record]) -> list[Record]:
    out = []
    for record in records:
        record.pop("type", None)
        out.append(record)
    return out
