"""The one way into the catalogue: every source hands its records to ``upsert_papers``.

Rules:

* idempotent: the same record twice changes nothing the second time;
* a newer version updates the paper in place, never duplicates it;
* an older record (lower version, or the same version last updated earlier) never overwrites
  a newer one;
* fields a record leaves as ``None`` (its source does not know them) are left as they are;
* arXiv is the authority for bibliographic fields: a record of another source
  (``authoritative=False``, Hugging Face's list) fills only the fields a paper lacks, beside
  the ones it alone knows (``OWN_FIELDS``), and never changes the version, so alternating
  sources never flip a paper back and forth;
* papers added or changed are marked ``needs_index`` and announced with ``papers_changed``
  once the transaction commits, so the search index can follow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
from django.db import connection, models, transaction
from django.utils import timezone

from .ids import normalize_arxiv_id
from .links import find_links
from .models import Author, Category, Paper, PaperAuthor, PaperCategory
from .records import InvalidRecord, PaperRecord
from .signals import papers_changed

log = logging.getLogger(__name__)

SCALAR_FIELDS = (
    "title",
    "abstract",
    "primary_category",
    "submitted",
    "updated",
    "comments",
    "journal_ref",
    "doi",
    "report_no",
    "license",
    "project_page",
)
OWN_FIELDS = frozenset({"repo_url", "project_page"})
"""What a source other than arXiv may change on a paper arXiv described."""
_CHUNK = 900  # below SQLite's old limit of 999 parameters a statement


@dataclass
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    """Records older than what the catalogue holds, ignored."""
    rejected: list[tuple[int, str]] = field(default_factory=list)
    """(index of the record in the input, reason) for records that could not be used."""
    changed_ids: list[str] = field(default_factory=list)

    def merge(self, other: UpsertResult, offset: int = 0) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older
        self.rejected += [(i + offset, why) for i, why in other.rejected]
        self.changed_ids += other.changed_ids

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged + self.older + len(self.rejected)


def _key(record: PaperRecord) -> tuple[int, datetime]:
    return (record.version or 0, record.updated or datetime.min.replace(tzinfo=UTC))


def _is_older(record: PaperRecord, paper: Paper) -> bool:
    if record.version is not None and record.version != paper.version:
        return record.version < paper.version
    return bool(record.updated and paper.updated and record.updated < paper.updated)


class _Draft:
    """A new paper's fields, before it is inserted: far cheaper to make than a model instance
    when a bulk import creates hundreds of thousands."""

    pk: int | None = None
    arxiv_id: str
    version: int
    title: str
    abstract: str
    comments: str
    project_page: str
    author_names: list[str]
    categories: list[str]
    last_source: str
    needs_index: bool
    created_at: datetime
    changed_at: datetime

    def __init__(self, arxiv_id: str, version: int) -> None:
        # Plain defaults live on the class (set there once, below); only the callable ones
        # (``list``) give each paper a value of its own.
        for name, make in _per_paper_defaults():
            setattr(self, name, make())
        self.arxiv_id = arxiv_id
        self.version = version


@cache
def _defaults() -> list[tuple[str, Any]]:
    """Each field's default: a callable (such as ``list``) to call per paper, or a value."""
    return [
        (f.attname, f.default if f.has_default() and callable(f.default) else f.get_default())
        for f in Paper._meta.concrete_fields
        if not f.primary_key
    ]


@cache
def _per_paper_defaults() -> list[tuple[str, Callable[[], Any]]]:
    per_paper = []
    for name, default in _defaults():
        if callable(default):
            per_paper.append((name, default))
        else:
            setattr(_Draft, name, default)
    return per_paper


def _apply(record: PaperRecord, paper: Paper | _Draft, *, new: bool) -> set[str]:
    """Copy what the record knows onto the paper; return the names of changed fields."""
    changed: set[str] = set()
    fills_only = not new and not record.authoritative

    def put(name: str, value: Any) -> None:
        if value is None or (not new and getattr(paper, name) == value):
            return
        if fills_only and name not in OWN_FIELDS and getattr(paper, name) not in ("", [], None):
            return
        setattr(paper, name, value)
        changed.add(name)

    for name in SCALAR_FIELDS:
        put(name, getattr(record, name))
    if record.version is not None and (new or (record.version > paper.version and not fills_only)):
        put("version", record.version)
    put("author_names", record.authors)
    put("categories", record.categories)
    put("repo_url", record.repo_url)
    if new or changed & {"abstract", "comments"}:
        if new and record.found_links is not None:
            code, project = record.found_links
        else:
            code, project = find_links(paper.abstract, paper.comments)
        put("code_links", code)
        if project and not paper.project_page:
            put("project_page", project)
    return changed


def _insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert plain rows: the ORM's per-object cost is too high for link tables of millions
    of rows. SQLite takes one executemany (in process, cheap per row); PostgreSQL a COPY, or,
    to skip conflicts, one statement with the columns sent as arrays and unnested on the
    server, both with server-side parameters (Django's cursor binds them client-side, which
    costs more than the insert at this size)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    rows = list(rows)
    if not rows:
        return
    if connection.vendor == "postgresql":
        with _pg_cursor() as raw:
            if ignore_conflicts:
                types = _column_types(model)
                arrays = ", ".join(f"%s::{types[c]}[]" for c in columns)
                raw.execute(
                    f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){conflict}",  # noqa: S608 (names are ours)
                    [list(column) for column in zip(*rows, strict=True)],
                )
            else:
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks}){conflict}",  # noqa: S608 (names are ours)
            rows,
        )


def _pg_cursor() -> Any:
    """A psycopg cursor binding parameters on the server, on Django's connection (so inside
    its transaction)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


@cache
def _column_types(model: type[models.Model]) -> dict[str, str]:
    """Each column's database type, without length limits (for casting arrays)."""
    types = {}
    for model_field in model._meta.concrete_fields:
        db_type = str(model_field.db_type(connection)).split("(", 1)[0]
        types[model_field.column] = "text" if db_type == "varchar" else db_type
    return types


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How a field's Python value goes into a raw INSERT."""
    if isinstance(field, models.JSONField):
        return lambda v: orjson.dumps(v).decode()
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            # What Django's SQLite backend stores: naive UTC text; the same, without its
            # per-value overhead.
            return _sqlite_datetime
        return connection.ops.adapt_datetimefield_value
    return lambda v: v


def _sqlite_datetime(value: datetime | None) -> str | None:
    """``value`` as Django stores it in SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]  # without "+00:00"


def _insert_papers(papers: Sequence[_Draft], now: datetime) -> None:
    """Insert new papers with one executemany and set their primary keys."""
    fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
    convert = [(f.attname, _converter(f)) for f in fields]
    for paper in papers:
        paper.created_at = paper.changed_at = now
    _insert_rows(
        Paper,
        [f.column for f in fields],
        (tuple(c(getattr(p, name)) for name, c in convert) for p in papers),
    )
    pks = dict(_select_in(Paper, "arxiv_id", "id", [p.arxiv_id for p in papers]))
    for paper in papers:
        paper.pk = pks[paper.arxiv_id]


def _select_in(
    model: type[models.Model], key: str, value: str, keys: Sequence[Any]
) -> Iterator[tuple[Any, Any]]:
    """(key, value) rows of the model whose key column is one of keys."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    if not keys:
        return
    if connection.vendor == "postgresql":
        with _pg_cursor() as raw:
            raw.execute(
                f"SELECT {quote(key)}, {quote(value)} FROM {table} "  # noqa: S608 (names are ours)
                f"WHERE {quote(key)} = ANY(%s)",
                [list(keys)],
            )
            yield from raw.fetchall()
        return
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {quote(key)}, {quote(value)} FROM {table} "  # noqa: S608 (names are ours)
                f"WHERE {quote(key)} IN ({marks})",
                list(chunk),
            )
            yield from cursor.fetchall()


class AuthorCache:
    """Ids of Author records already looked up, kept across the batches of one import.

    Bounded (it is emptied when full), and an id learnt inside a transaction only counts once
    that transaction commits: a rolled-back batch cannot leave ids of authors that were never
    stored.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.ids: dict[str, int] = {}

    def learn(self, found: dict[str, int]) -> None:
        transaction.on_commit(lambda: self._keep(found))

    def _keep(self, found: dict[str, int]) -> None:
        if len(self.ids) + len(found) > self.limit:
            self.ids.clear()
        self.ids.update(found)


def _author_ids(names: set[str], cache: AuthorCache | None = None) -> dict[str, int]:
    """Ids of Author records for the names, creating the missing ones."""
    known = cache.ids if cache is not None else {}
    ids = {name: known[name] for name in names if name in known}
    ordered = sorted(name for name in names if name not in ids)
    found = dict(_select_in(Author, "name", "id", ordered))
    missing = [name for name in ordered if name not in found]
    if missing:
        _insert_rows(Author, ["name"], ((name,) for name in missing), ignore_conflicts=True)
        found.update(_select_in(Author, "name", "id", missing))
    if cache is not None:
        cache.learn(found)
    ids.update(found)
    return ids


def _ensure_categories(codes: set[str]) -> None:
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    if codes - known:
        _insert_rows(
            Category,
            ["code", "name"],
            ((c, "") for c in sorted(codes - known)),
            ignore_conflicts=True,
        )


def _link(
    papers: Sequence[Paper | _Draft],
    *,
    authors: bool,
    categories: bool,
    new: bool,
    cache: AuthorCache | None = None,
) -> None:
    """(Re)write the author and category links of the papers from their lists."""
    if not papers:
        return
    pks = [p.pk for p in papers]
    if authors:
        if not new:
            PaperAuthor.objects.filter(paper__in=pks).delete()
        ids = _author_ids({name for p in papers for name in p.author_names}, cache)
        _insert_rows(
            PaperAuthor,
            ["paper_id", "author_id", "position"],
            (
                (p.pk, ids[name], position)
                for p in papers
                for position, name in enumerate(p.author_names)
            ),
        )
    if categories:
        if not new:
            PaperCategory.objects.filter(paper__in=pks).delete()
        _ensure_categories({code for p in papers for code in p.categories})
        _insert_rows(
            PaperCategory,
            ["paper_id", "category_id"],
            ((p.pk, code) for p in papers for code in p.categories),
        )


def upsert_papers(
    records: Iterable[PaperRecord], *, source: str, authors: AuthorCache | None = None
) -> UpsertResult:
    """Add or update papers from one source's records, in one transaction.

    ``authors`` lets the batches of one import share the author ids they looked up.
    """
    result = UpsertResult()
    latest: dict[str, tuple[int, PaperRecord]] = {}
    for index, raw in enumerate(records):
        try:
            record = raw.normalized()
        except InvalidRecord as exc:
            result.rejected.append((index, str(exc)))
            continue
        seen = latest.get(record.arxiv_id)
        if seen is None or _key(record) >= _key(seen[1]):
            if seen is not None:
                result.unchanged += 1  # superseded by a newer record in the same batch
            latest[record.arxiv_id] = (index, record)
        else:
            result.unchanged += 1
    if not latest:
        return result

    now = timezone.now()
    with transaction.atomic():
        # Look the ids up cheaply first: in a first import, most papers are new.
        known = dict(_select_in(Paper, "arxiv_id", "id", list(latest)))
        existing = (
            {p.arxiv_id: p for p in Paper.objects.filter(pk__in=known.values())} if known else {}
        )
        to_create: list[_Draft] = []
        to_update: list[Paper] = []
        update_fields: set[str] = set()
        relink_authors: list[Paper] = []
        relink_categories: list[Paper] = []
        for arxiv_id, (index, record) in latest.items():
            paper = existing.get(arxiv_id)
            if paper is None:
                if record.title is None:
                    result.rejected.append(
                        (index, f"{arxiv_id}: a new paper needs a title, and this record has none")
                    )
                    continue
                draft = _Draft(arxiv_id, record.version or 1)
                _apply(record, draft, new=True)
                draft.last_source = source
                to_create.append(draft)
                continue
            if _is_older(record, paper):
                result.older += 1
                continue
            changed = _apply(record, paper, new=False)
            if not changed:
                result.unchanged += 1
                continue
            paper.last_source = source
            paper.needs_index = True
            paper.changed_at = now
            update_fields |= changed | {"last_source", "needs_index", "changed_at"}
            to_update.append(paper)
            if "author_names" in changed:
                relink_authors.append(paper)
            if "categories" in changed:
                relink_categories.append(paper)

        if to_create:
            _insert_papers(to_create, now)
        if to_update:
            Paper.objects.bulk_update(to_update, sorted(update_fields), batch_size=200)
        _link(to_create, authors=True, categories=True, new=True, cache=authors)
        _link(relink_authors, authors=True, categories=False, new=False, cache=authors)
        _link(relink_categories, authors=False, categories=True, new=False)

        result.added = len(to_create)
        result.updated = len(to_update)
        result.changed_ids = [p.arxiv_id for p in to_create + to_update]
        if result.changed_ids:
            changed_ids = list(result.changed_ids)
            transaction.on_commit(
                lambda: papers_changed.send(sender=Paper, arxiv_ids=changed_ids, source=source)
            )
    return result


def upsert_paper(record: PaperRecord, *, source: str) -> UpsertResult:
    """Add or update one paper; raises InvalidRecord if the record cannot be used."""
    result = upsert_papers([record], source=source)
    if result.rejected:
        raise InvalidRecord(result.rejected[0][1])
    return result


def papers_with_extra(records: Sequence[PaperRecord], key: str) -> list[tuple[int, dict[str, Any]]]:
    """(paper id, ``record.extra[key]``) for each record that carries such a dict and whose
    paper the catalogue holds, for what a source keeps beside its papers (run after the
    batch's upsert, in its transaction); of two records of one paper the last wins."""
    wanted = {
        normalize_arxiv_id(r.arxiv_id): info
        for r in records
        if isinstance(info := r.extra.get(key), dict)
    }
    if not wanted:
        return []
    papers = dict(Paper.objects.filter(arxiv_id__in=list(wanted)).values_list("arxiv_id", "id"))
    return [(papers[arxiv_id], info) for arxiv_id, info in wanted.items() if arxiv_id in papers]
