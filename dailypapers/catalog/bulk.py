"""The bulk way into the catalogue, for ingest runs: batches of records written with plain rows.

The only raw SQL of the catalogue. The ORM's cost per object is higher than the insert itself
when a bulk import creates hundreds of thousands of papers and millions of author links, so
new papers and link rows go in as tuples: SQLite takes one ``executemany`` (in process, cheap
per row); PostgreSQL a COPY, or, to skip conflicts, one statement with the columns sent as
arrays and unnested on the server, both with server-side parameters (Django's cursor binds
them client-side, which costs more than the insert at this size). Papers that change are
loaded and saved through the ORM (``bulk_update``): a batch changes few.

What a record changes is decided by ``catalog.merge``, as on the one-paper path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from django.db import connection, models, transaction
from django.utils import timezone

from .merge import UpsertResult, changes, is_older, latest_records
from .models import Author, Category, Paper, PaperAuthor, PaperCategory
from .records import InvalidRecord, PaperRecord
from .signals import papers_changed


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


Links = list[tuple[int, list[str]]]
"""(paper id, the author names or category codes it links to, in order)."""


def upsert_papers(
    records: Iterable[PaperRecord], *, source: str, authors: AuthorCache | None = None
) -> UpsertResult:
    """Add or update papers from one source's records, in one transaction.

    ``authors`` lets the batches of one import share the author ids they looked up.
    """
    result = UpsertResult()
    latest = latest_records(records, result)
    if not latest:
        return result

    now = timezone.now()
    with transaction.atomic():
        # Look the ids up cheaply first: in a first import, most papers are new.
        known = dict(select_in(Paper, "arxiv_id", "id", list(latest)))
        existing = (
            {p.arxiv_id: p for p in Paper.objects.filter(pk__in=known.values())} if known else {}
        )
        to_create: list[dict[str, Any]] = []
        to_update: list[Paper] = []
        update_fields: set[str] = set()
        relink_authors: Links = []
        relink_categories: Links = []
        for arxiv_id, (index, record) in latest.items():
            paper = existing.get(arxiv_id)
            if paper is not None and is_older(record, paper):
                result.older += 1
                continue
            try:
                changed = changes(record, paper)
            except InvalidRecord as exc:
                result.rejected.append((index, str(exc)))
                continue
            if paper is None:
                to_create.append(changed)
                continue
            if not changed:
                result.unchanged += 1
                continue
            for name, value in changed.items():
                setattr(paper, name, value)
            paper.last_source = source
            paper.needs_index = True
            paper.changed_at = now
            update_fields |= changed.keys() | {"last_source", "needs_index", "changed_at"}
            to_update.append(paper)
            if "author_names" in changed:
                relink_authors.append((paper.pk, paper.author_names))
            if "categories" in changed:
                relink_categories.append((paper.pk, paper.categories))

        ids = _insert_papers(to_create, source, now)
        if to_update:
            Paper.objects.bulk_update(to_update, sorted(update_fields), batch_size=200)
        created = [(ids[p["arxiv_id"]], p) for p in to_create]
        _link_authors([(pk, p["author_names"]) for pk, p in created], authors, new=True)
        _link_categories([(pk, p["categories"]) for pk, p in created], new=True)
        _link_authors(relink_authors, authors, new=False)
        _link_categories(relink_categories, new=False)

        result.added = len(to_create)
        result.updated = len(to_update)
        result.changed_ids = [p["arxiv_id"] for p in to_create] + [p.arxiv_id for p in to_update]
        if result.changed_ids:
            changed_ids = list(result.changed_ids)
            transaction.on_commit(
                lambda: papers_changed.send(sender=Paper, arxiv_ids=changed_ids, source=source)
            )
    return result


def _insert_papers(papers: Sequence[dict[str, Any]], source: str, now: datetime) -> dict[str, int]:
    """Insert new papers (``merge.changes`` of each; the other fields take their defaults)
    with one statement; returns their ids by arXiv id."""
    if not papers:
        return {}
    columns = paper_columns()
    fixed = {"last_source": source, "created_at": now, "changed_at": now}
    defaults = {
        name: convert(fixed[name]) if name in fixed else default
        for name, _, convert, default in columns
    }
    insert_rows(
        Paper,
        [column for _, column, _, _ in columns],
        (
            tuple(
                convert(paper[name]) if name in paper else defaults[name]
                for name, _, convert, _ in columns
            )
            for paper in papers
        ),
    )
    return dict(select_in(Paper, "arxiv_id", "id", [p["arxiv_id"] for p in papers]))


def paper_columns() -> list[tuple[str, str, Callable[[Any], Any], Any]]:
    """(attribute, column, how a value goes into a raw INSERT, the default so converted) of
    each of Paper's columns but the primary key."""
    columns = []
    for f in Paper._meta.concrete_fields:
        if f.primary_key:
            continue
        convert = _converter(f)
        columns.append((f.attname, f.column, convert, convert(f.get_default())))
    return columns


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How a field's Python value goes into a raw INSERT: the JSON text of a JSON field, a
    date and time as the backend stores it."""
    if isinstance(field, models.JSONField):
        return lambda v: orjson.dumps(v).decode()
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    return lambda v: v


def _link_authors(links: Links, cache: AuthorCache | None, *, new: bool) -> None:
    """(Re)write the author links of the papers, creating the authors they lack."""
    if not links:
        return
    if not new:
        PaperAuthor.objects.filter(paper__in=[pk for pk, _ in links]).delete()
    ids = author_ids({name for _, names in links for name in names}, cache)
    insert_rows(
        PaperAuthor,
        ["paper_id", "author_id", "position"],
        ((pk, ids[name], position) for pk, names in links for position, name in enumerate(names)),
    )


def _link_categories(links: Links, *, new: bool) -> None:
    """(Re)write the category links of the papers, creating the categories they lack."""
    if not links:
        return
    if not new:
        PaperCategory.objects.filter(paper__in=[pk for pk, _ in links]).delete()
    codes = {code for _, codes in links for code in codes}
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    insert_rows(
        Category,
        ["code", "name"],
        ((code, "") for code in sorted(codes - known)),
        ignore_conflicts=True,
    )
    insert_rows(
        PaperCategory,
        ["paper_id", "category_id"],
        ((pk, code) for pk, codes in links for code in codes),
    )


def author_ids(names: set[str], cache: AuthorCache | None) -> dict[str, int]:
    """Ids of Author records for the names, creating the missing ones."""
    known = cache.ids if cache is not None else {}
    ids = {name: known[name] for name in names if name in known}
    ordered = sorted(name for name in names if name not in ids)
    found = dict(select_in(Author, "name", "id", ordered))
    missing = [name for name in ordered if name not in found]
    if missing:
        insert_rows(Author, ["name"], ((name,) for name in missing), ignore_conflicts=True)
        found.update(select_in(Author, "name", "id", missing))
    if cache is not None:
        cache.learn(found)
    ids.update(found)
    return ids


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert plain rows into the model's table (skipping those that conflict, if asked)."""
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


def select_in(
    model: type[models.Model], key: str, value: str, keys: Sequence[Any]
) -> Iterator[tuple[Any, Any]]:
    """(key, value) rows of the model whose key column is one of keys, with the keys sent as
    one parameter (an array on PostgreSQL, a JSON array on SQLite): a batch can hold more
    keys than a statement can take parameters."""
    if not keys:
        return
    quote = connection.ops.quote_name
    select = f"SELECT {quote(key)}, {quote(value)} FROM {quote(model._meta.db_table)}"  # noqa: S608 (names are ours)
    if connection.vendor == "postgresql":
        with _pg_cursor() as raw:
            raw.execute(f"{select} WHERE {quote(key)} = ANY(%s)", [list(keys)])
            yield from raw.fetchall()
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"{select} WHERE {quote(key)} IN (SELECT value FROM json_each(%s))",  # noqa: S608
            [orjson.dumps(list(keys)).decode()],
        )
        yield from cursor.fetchall()


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
