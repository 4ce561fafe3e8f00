"""Digest speed: compose every digest of one day for 100k subscribers, beside the per-reader
loop, then send them to an SMTP server on loopback.

    python bench/digest_speed.py [--readers 100000] [--baseline 2000] [--send 5000] [--fresh]

The fixture (built once, in a child process, and kept under bench/out/digest-cache/ keyed by
its parameters; ``--fresh`` builds it again):

* the catalogue: the real 142k papers of ../shared/data, imported with ``dailypapers ingest
  snapshot``, and a search index of them built with their shipped MiniLM vectors;
* READERS confirmed subscriptions (plus 2% unconfirmed, paused or unsubscribed ones, which
  must be skipped), daily (70%) or weekly (on the issue's weekday), at hours and in 40 time
  zones of their own. A third are members (a user, a verified allauth address) with a
  library of 20-500 papers (log-uniform; saved or imported into their reading list) drawn
  from one to four interests (an interest: a real paper and the 400 papers nearest to it);
  a quarter of the members follow authors of their library, a fifth follow categories, a
  seventh keep saved searches (words from a title of their interests, some with a
  category); 30% of all subscriptions choose one to three categories. A history of papers
  sent in earlier issues (``SentPaper``) and every subscription's last issue date;
* the community: 25-50 featured papers (``DailyEntry``) on each weekday of the 30 days
  before the issue date, with members' votes (Zipf-like counts, ``Vote`` rows).

The run works on a copy of the fixture's database, so every run starts from the same state:

1. baseline: the straightforward per-reader loop (``compose_one`` then ``outbox_row().save()``
   for each) over a seeded random slice of BASELINE subscriptions;
2. the database copied again, then ``compose_due(issue_date=...)`` for every subscription,
   with resident memory sampled (peak after each quarter of the readers);
3. ``send_pending(limit=SEND)`` through Django's SMTP backend to an aiosmtpd server in another
   process that only counts what it receives; beside it, the same messages written by plain
   ``smtplib`` on one connection (the loopback's own ceiling).

Targets (printed with pass/fail marks): every reader composed in under 5 minutes, at least 20
times the baseline's readers per second, at least 100 messages/second sent, memory flat (the
peak after all readers within 10% or 64 MiB of the peak after the first quarter).

Saved searches with words need query vectors and the model is not part of the fixture: the
settings point the search at ``bench.digest_speed.CatalogueEmbedder``, which gives a saved
search the shipped vector of the title its words come from (and other texts a stable random
vector). The papers' own vectors are the shipped ones; nothing is embedded during the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import hashlib
import json
import math
import multiprocessing
import os
import secrets
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import OUT, SNAPSHOT, VECTORS

CACHE = OUT / "digest-cache"
RUN = OUT / "digest-run"  # the data folder of a run: a copy of the fixture's database
INDEX = CACHE / "index"
CATALOGUE = CACHE / "catalogue.sqlite3"
DB_NAME = "dailypapers.sqlite3"
FIXTURE_VERSION = 1
MIB = 2**20

MEMBERS_SHARE = 1 / 3
INACTIVE_SHARE = 0.02
DAILY_SHARE = 0.7
LIBRARY_MIN, LIBRARY_MAX = 20, 500
INTEREST_SEEDS, INTEREST_SIZE = 3000, 400
FEATURED_DAYS = 30
SENT_HISTORY = (3, 12)  # papers an earlier issue sent each reader, at least and at most
ZONES = (
    ("UTC", 6),
    ("Europe/London", 8),
    ("Europe/Berlin", 10),
    ("Europe/Paris", 6),
    ("Europe/Madrid", 3),
    ("Europe/Rome", 3),
    ("Europe/Amsterdam", 2),
    ("Europe/Stockholm", 2),
    ("Europe/Warsaw", 2),
    ("Europe/Zurich", 2),
    ("Europe/Athens", 1),
    ("Europe/Moscow", 2),
    ("Europe/Istanbul", 1),
    ("Africa/Cairo", 1),
    ("Africa/Lagos", 1),
    ("Africa/Johannesburg", 1),
    ("Asia/Jerusalem", 1),
    ("Asia/Tehran", 1),
    ("Asia/Dubai", 1),
    ("Asia/Kolkata", 6),
    ("Asia/Kathmandu", 1),
    ("Asia/Singapore", 2),
    ("Asia/Shanghai", 9),
    ("Asia/Hong_Kong", 1),
    ("Asia/Seoul", 3),
    ("Asia/Tokyo", 4),
    ("Australia/Adelaide", 1),
    ("Australia/Sydney", 2),
    ("Pacific/Auckland", 1),
    ("Pacific/Tongatapu", 1),
    ("Pacific/Honolulu", 1),
    ("America/Anchorage", 1),
    ("America/Los_Angeles", 7),
    ("America/Denver", 2),
    ("America/Chicago", 4),
    ("America/New_York", 9),
    ("America/Toronto", 2),
    ("America/Mexico_City", 1),
    ("America/Bogota", 1),
    ("America/Sao_Paulo", 2),
)


# --- helpers ---------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def rss_bytes() -> int:
    """Resident memory of this process and every process under it (composing workers, the
    SMTP server while it runs)."""
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            pages = Path(f"/proc/{pid}/statm").read_text().split()[1]
        except OSError:
            continue
        total += int(pages) * os.sysconf("SC_PAGE_SIZE")
        todo += _children(pid)
    return total


class RssSampler:
    """The process's resident set, sampled every ``every`` seconds in a thread: the peak
    since the last ``mark``, and the peak since ``start``."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.peak = 0
        self.window = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def sample(self) -> int:
        now = rss_bytes()
        self.peak = max(self.peak, now)
        self.window = max(self.window, now)
        return now

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def mark(self) -> int:
        """The peak since the last mark (this moment included); a new window starts."""
        self.sample()
        out, self.window = self.window, rss_bytes()
        return out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def mib(n: float) -> str:
    return f"{n / MIB:,.0f} MiB"


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def say(text: str) -> None:
    print(text, flush=True)


def fixture_key(args: argparse.Namespace) -> str:
    return f"r{args.readers}-s{args.seed}-v{FIXTURE_VERSION}"


def fixture_path(args: argparse.Namespace) -> Path:
    return CACHE / f"fixture-{fixture_key(args)}.sqlite3"


def queries_path(args: argparse.Namespace) -> Path:
    """The fixture's saved searches' words and their vectors (for ``CatalogueEmbedder``)."""
    return CACHE / f"fixture-{fixture_key(args)}.queries.npz"


def copy_db(source: Path, target_dir: Path) -> None:
    """``source`` becomes the data folder's database (its WAL files removed)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (target_dir / (DB_NAME + suffix)).unlink(missing_ok=True)
    shutil.copyfile(source, target_dir / DB_NAME)


def setup_django(data_dir: Path, queries: Path) -> None:
    os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir)
    os.environ["DIGEST_BENCH_QUERIES"] = str(queries)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    os.environ["DAILYPAPERS_SEARCH_INDEX_DIR"] = str(INDEX)
    os.environ["DAILYPAPERS_SEARCH_EMBEDDER"] = "bench.digest_speed.CatalogueEmbedder"
    os.environ["DAILYPAPERS_FETCH_MISSING_PAPERS"] = "0"
    os.environ["DAILYPAPERS_SEARCH_WARM_UP"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 30)
    os.environ.setdefault("SITE_URL", "https://papers.example.org")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def checkpoint_to(target: Path) -> None:
    """Write the database (its WAL folded in) to ``target``."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    tmp = target.with_suffix(".tmp")
    shutil.copyfile(settings.DATA_DIR / DB_NAME, tmp)
    tmp.replace(target)


def raw_db() -> sqlite3.Connection:
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def dt_text(value: dt.datetime) -> str:
    """A datetime as Django stores it in SQLite (UTC, no offset)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")


# --- the embedder of saved searches ------------------------------------------------------


class CatalogueEmbedder:
    """Stands in for the model: a saved search of the fixture gets the shipped vector of the
    title its words come from; any other text a stable random unit vector. No paper is ever
    embedded during the bench (the index holds every paper's shipped vector)."""

    def __init__(self, **_: Any) -> None:
        from papersearch.embed import DIM, MODEL_NAME

        self.model_name = MODEL_NAME
        self.dim = DIM
        self._known: dict[str, np.ndarray] = {}
        queries = Path(os.environ.get("DIGEST_BENCH_QUERIES", "-"))
        if queries.is_file():
            data = np.load(queries)
            for text, vector in zip(data["texts"].tolist(), data["vectors"], strict=True):
                self._known[str(text)] = np.asarray(vector, np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        known = self._known.get(" ".join(text.split()))
        if known is not None:
            return known
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        vector = np.random.default_rng(seed).normal(size=self.dim).astype(np.float32)
        return vector / np.linalg.norm(vector)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim))


# --- the fixture ---------------------------------------------------------------------------


def snapshot_ids() -> list[str]:
    ids = []
    with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as f:
        for line in f:
            ids.append(json.loads(line)["id"])
    return ids


def unit_vectors() -> np.ndarray:
    raw: np.ndarray = np.load(VECTORS, mmap_mode="r").astype(np.float32) / 127.0
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    return raw


def build_catalogue() -> None:
    """Import the 142k snapshot, then index it with its shipped vectors."""
    from django.core.management import call_command

    from dailypapers.catalog.models import Paper
    from dailypapers.search.keeper import DOCUMENT_FIELDS, paper_document
    from papersearch import SearchIndex

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("ingest", "snapshot", str(SNAPSHOT), progress="lines", verbosity=0)
    say(f"  catalogue: {Paper.objects.count():,} papers in {time.perf_counter() - started:.0f} s")
    row_of = {pid: i for i, pid in enumerate(snapshot_ids())}
    vectors = unit_vectors()
    docs, rows = [], []
    for paper in Paper.objects.order_by("pk").only(*DOCUMENT_FIELDS).iterator(chunk_size=5000):
        row = row_of.get(paper.arxiv_id)
        if row is not None:
            docs.append(paper_document(paper))
            rows.append(row)
    started = time.perf_counter()
    if INDEX.exists():
        shutil.rmtree(INDEX)
    SearchIndex.rebuild(INDEX, docs, vectors=vectors[np.asarray(rows)], total=len(docs))
    Paper.objects.filter(needs_index=True).update(needs_index=False)
    say(f"  search index: {len(docs):,} papers in {time.perf_counter() - started:.0f} s")
    checkpoint_to(CATALOGUE)


@dataclass
class Catalogue:
    pk: np.ndarray  # Paper pk by vector row of ``vectors``
    arxiv: list[str]
    titles: list[str]
    day: np.ndarray  # submitted, as days since 1970-01-01
    vectors: np.ndarray  # unit vectors of the indexed papers


def load_catalogue() -> Catalogue:
    raw = raw_db()
    row_of = {pid: i for i, pid in enumerate(snapshot_ids())}
    vectors = unit_vectors()
    pks, arxiv, titles, days, rows = [], [], [], [], []
    query = "SELECT id, arxiv_id, title, submitted FROM catalog_paper ORDER BY id"
    for pk, aid, title, submitted in raw.execute(query):
        row = row_of.get(aid)
        if row is None or not submitted:
            continue
        pks.append(pk)
        arxiv.append(aid)
        titles.append(title)
        days.append(dt.date.fromisoformat(str(submitted)[:10]).toordinal())
        rows.append(row)
    return Catalogue(
        pk=np.asarray(pks, np.int64),
        arxiv=arxiv,
        titles=titles,
        day=np.asarray(days, np.int64),
        vectors=vectors[np.asarray(rows)],
    )


def issue_date_of(cat: Catalogue) -> dt.date:
    """The newest day of the catalogue (a Friday in the shipped data): its papers and the
    day's before it are new in that day's issue."""
    return dt.date.fromordinal(int(cat.day.max()))


def interests(cat: Catalogue, issue: dt.date, rng: np.random.Generator) -> np.ndarray:
    """INTEREST_SEEDS interests: for a real paper from before the issue's week, the vector
    rows of the INTEREST_SIZE papers nearest to it among those (seed first)."""
    before = np.flatnonzero(cat.day < issue.toordinal() - 7)
    seeds = rng.choice(before, INTEREST_SEEDS, replace=False)
    pool = cat.vectors[before]
    out = np.empty((INTEREST_SEEDS, INTEREST_SIZE), np.int64)
    for lo in range(0, INTEREST_SEEDS, 256):
        sims = cat.vectors[seeds[lo : lo + 256]] @ pool.T
        top = np.argpartition(-sims, INTEREST_SIZE, axis=1)[:, :INTEREST_SIZE]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        out[lo : lo + 256] = before[np.take_along_axis(top, order, axis=1)]
    return out


def build_readers(readers: int, seed: int, queries: Path) -> dict[str, Any]:
    """The subscribers, members, libraries, follows, community and history (bulk inserts)."""
    from django.db import transaction

    with transaction.atomic():  # one transaction: autocommitted rows would each be one
        return _build_readers(readers, seed, queries)


def _build_readers(readers: int, seed: int, queries_file: Path) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    cat = load_catalogue()
    issue = issue_date_of(cat)
    topics = interests(cat, issue, rng)
    took = time.perf_counter() - started
    say(f"  {len(cat.pk):,} papers, {INTEREST_SEEDS} interests in {took:.0f} s")
    raw = raw_db()
    now = dt.datetime.combine(issue, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(hours=1)
    stamp = dt_text(now)
    inactive = round(readers * INACTIVE_SHARE)
    total = readers + inactive
    members = round(readers * MEMBERS_SHARE)
    # Categories: as common as they are among the last month's papers.
    month = dt_text(now - dt.timedelta(days=30))
    cats = raw.execute(
        "SELECT pc.category_id, COUNT(*) FROM catalog_papercategory pc JOIN catalog_paper p "
        "ON p.id = pc.paper_id WHERE p.submitted >= ? GROUP BY pc.category_id "
        "ORDER BY COUNT(*) DESC",
        (month,),
    ).fetchall()
    codes = [c for c, _ in cats]
    weights = np.asarray([n for _, n in cats], np.float64)
    weights /= weights.sum()

    # users and their addresses: the members are the first subscriptions (order is shuffled
    # by the subscription's own attributes, drawn independently)
    user_rows = [
        ("!", None, 0, f"reader{i}", "", "", f"reader{i}@example.org", 0, 1, stamp)
        for i in range(members)
    ]
    raw.executemany(
        "INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, "
        "last_name, email, is_staff, is_active, date_joined) VALUES (?,?,?,?,?,?,?,?,?,?)",
        user_rows,
    )
    first = "SELECT MIN(id) FROM auth_user WHERE username = 'reader0'"
    first_user = int(raw.execute(first).fetchone()[0])
    user_ids = np.arange(first_user, first_user + members)
    raw.executemany(
        'INSERT INTO account_emailaddress (user_id, email, verified, "primary") VALUES (?,?,1,1)',
        [(int(u), f"reader{i}@example.org") for i, u in enumerate(user_ids)],
    )

    # subscriptions
    zones = [z for z, _ in ZONES]
    zone_p = np.asarray([w for _, w in ZONES], np.float64)
    zone_p /= zone_p.sum()
    hours = rng.choice(24, total, p=_hour_weights())
    zone_of = rng.choice(len(zones), total, p=zone_p)
    daily = rng.random(total) < DAILY_SHARE
    state = np.zeros(total, np.int64)  # 0 active, 1 unconfirmed, 2 paused, 3 unsubscribed
    state[readers:] = rng.integers(1, 4, inactive)
    order = rng.permutation(total)  # who is member, inactive: spread over the ids
    sub_rows = []
    confirmed = dt_text(now - dt.timedelta(days=40))
    for n in range(total):
        i = int(order[n])
        member = i < members
        email = f"reader{i}@example.org" if member else f"subscriber{i}@example.org"
        last = issue - dt.timedelta(days=1 if daily[i] else 7)
        st = int(state[i])
        sub_rows.append(
            (
                email,
                int(user_ids[i]) if member else None,
                "daily" if daily[i] else "weekly",
                issue.weekday(),
                int(hours[i]),
                zones[zone_of[i]],
                1 if member or rng.random() < 0.5 else 0,
                "{}",
                None if st == 1 else confirmed,
                confirmed,
                stamp if st == 2 else None,
                "paused by the reader" if st == 2 else "",
                0,
                stamp if st == 3 else None,
                last.isoformat() if rng.random() < 0.97 else None,
                secrets.token_urlsafe(32),
                secrets.token_urlsafe(32),
                confirmed,
            )
        )
    raw.executemany(
        "INSERT INTO digests_subscription (email, user_id, frequency, weekday, hour, time_zone, "
        "personal_picks, interests, confirmed_at, confirm_sent_at, paused_at, paused_reason, "
        "hard_bounces, unsubscribed_at, last_issue_date, confirm_token, unsubscribe_token, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        sub_rows,
    )
    sub_of_email = dict(raw.execute("SELECT email, id FROM digests_subscription"))
    sub_ids = np.asarray(
        [
            sub_of_email[f"reader{i}@example.org" if i < members else f"subscriber{i}@example.org"]
            for i in range(total)
        ],
        np.int64,
    )  # by reader number i
    del sub_rows
    say(f"  {total:,} subscriptions ({members:,} members) at {time.perf_counter() - started:.0f} s")

    # categories chosen in the subscription (30%)
    choose = np.flatnonzero(rng.random(total) < 0.3)
    rows: list[tuple[Any, ...]] = []
    for i in choose.tolist():
        picked = rng.choice(len(codes), int(rng.integers(1, 4)), replace=False, p=weights)
        rows += [(int(sub_ids[i]), codes[c]) for c in picked.tolist()]
    raw.executemany(
        "INSERT INTO digests_subscription_categories (subscription_id, category_id) VALUES (?,?)",
        rows,
    )

    # libraries: a reading list each, 20-500 papers from one to four interests
    raw.executemany(
        "INSERT INTO library_collection (owner_id, name, slug, description, is_public, "
        "is_reading_list, created_at, updated_at) VALUES (?, 'Reading list', 'reading-list', "
        "'', 0, 1, ?, ?)",
        [(int(u), stamp, stamp) for u in user_ids],
    )
    coll_of = dict(raw.execute("SELECT owner_id, id FROM library_collection WHERE is_reading_list"))
    sizes = np.exp(rng.uniform(math.log(LIBRARY_MIN), math.log(LIBRARY_MAX + 1), members)).astype(
        np.int64
    )
    reader_topics: list[np.ndarray] = []
    library_rows: list[np.ndarray] = []
    items = 0
    batch: list[tuple[Any, ...]] = []
    for m in range(members):
        chosen = rng.choice(INTEREST_SEEDS, int(rng.integers(1, 5)), replace=False)
        reader_topics.append(chosen)
        pool = np.unique(topics[chosen].ravel())
        size = min(int(sizes[m]), len(pool))
        lib = rng.choice(pool, size, replace=False)
        library_rows.append(lib)
        coll = coll_of[int(user_ids[m])]
        imported = rng.random() < 0.3
        source = "imported" if imported else "saved"
        batch += [
            (coll, int(cat.pk[r]), "", pos, source, stamp) for pos, r in enumerate(lib.tolist())
        ]
        if len(batch) >= 200_000:
            _items(raw, batch)
            items += len(batch)
            batch = []
    _items(raw, batch)
    items += len(batch)
    say(f"  {items:,} library papers at {time.perf_counter() - started:.0f} s")

    # follows: authors of their library (25% of members), categories (20%), searches (1/7)
    authors_of: dict[int, list[int]] = {}
    for paper, author in raw.execute("SELECT paper_id, author_id FROM catalog_paperauthor"):
        authors_of.setdefault(paper, []).append(author)
    follow_rows: list[tuple[Any, ...]] = []
    query_texts: dict[str, np.ndarray] = {}
    for m in range(members):
        u = int(user_ids[m])
        if rng.random() < 0.25:
            lib = library_rows[m]
            names: set[int] = set()
            for r in rng.choice(lib, min(len(lib), 8), replace=False).tolist():
                found = authors_of.get(int(cat.pk[r]))
                if found:
                    names.add(found[int(rng.integers(len(found)))])
                if len(names) >= int(rng.integers(1, 9)):
                    break
            follow_rows += [(u, "author", a, None, "", "", stamp) for a in sorted(names)]
        if rng.random() < 0.2:
            for c in rng.choice(len(codes), int(rng.integers(1, 4)), replace=False, p=weights):
                follow_rows.append((u, "category", None, codes[c], "", "", stamp))
        if rng.random() < 1 / 7:
            queries: set[str] = set()
            for t in rng.choice(reader_topics[m], int(rng.integers(1, 4))).tolist():
                row = int(topics[t, 0])
                words = [w for w in cat.titles[row].split() if w.isalpha()][:4]
                if len(words) < 2:
                    continue
                text = " ".join(words)
                query_texts[text] = cat.vectors[row]
                q = "q=" + "+".join(words)
                if rng.random() < 0.3:
                    q += "&cat=" + codes[int(rng.choice(len(codes), p=weights))]
                queries.add(q)
            follow_rows += [(u, "search", None, None, q, "", stamp) for q in sorted(queries)]
    raw.executemany(
        "INSERT INTO library_follow (user_id, kind, author_id, category_id, query, label, "
        "created_at) VALUES (?,?,?,?,?,?,?)",
        follow_rows,
    )
    texts = sorted(query_texts)
    np.savez(
        queries_file,
        texts=np.asarray(texts),
        vectors=np.stack([query_texts[t] for t in texts]) if texts else np.zeros((0, 384)),
    )
    say(f"  {len(follow_rows):,} follows at {time.perf_counter() - started:.0f} s")

    # the community: featured papers on the weekdays before the issue, members' votes
    entries, votes, featured = [], [], []
    taken: set[int] = set()  # a paper is featured once
    for back in range(1, FEATURED_DAYS + 1):
        day = issue - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        recent = np.flatnonzero((cat.day <= day.toordinal()) & (cat.day > day.toordinal() - 4))
        recent = np.asarray([r for r in recent.tolist() if r not in taken], np.int64)
        n = min(len(recent), int(rng.integers(25, 51)))
        chosen = rng.choice(recent, n, replace=False)
        taken.update(chosen.tolist())
        counts = np.minimum((rng.pareto(1.2, n) * 8 + 1).astype(np.int64), members)
        for j, (r, up) in enumerate(zip(chosen.tolist(), counts.tolist(), strict=True)):
            at = dt.datetime.combine(day, dt.time(8 + j % 10, j % 60), tzinfo=dt.UTC)
            voters = rng.choice(user_ids, int(up), replace=False)
            entries.append(
                (int(cat.pk[r]), day.isoformat(), int(voters[0]), dt_text(at), int(up), at)
            )
            votes += [(int(v), int(cat.pk[r]), dt_text(at)) for v in voters.tolist()]
            featured.append(int(cat.pk[r]))
    from dailypapers.community.models import hot_score

    raw.executemany(
        "INSERT INTO community_dailyentry (paper_id, day, submitted_by_id, submitted_by_name, "
        "submitted_at, source, upvotes, hot, comment_count, hidden) "
        "VALUES (?, ?, ?, '', ?, 'member', ?, ?, 0, 0)",
        [(p, d, s, a, up, hot_score(up, at)) for p, d, s, a, up, at in entries],
    )
    raw.executemany(
        "INSERT OR IGNORE INTO community_vote (user_id, paper_id, created_at) VALUES (?,?,?)",
        votes,
    )
    say(
        f"  {len(entries):,} featured papers, {len(votes):,} votes at "
        f"{time.perf_counter() - started:.0f} s"
    )

    # what earlier issues sent: a few of the last week's featured papers per reader
    last_week = [
        pk for pk, d in zip(featured, (e[1] for e in entries), strict=True)
        if d >= (issue - dt.timedelta(days=7)).isoformat()
    ]  # fmt: skip
    sent: list[tuple[Any, ...]] = []
    lo, hi = SENT_HISTORY
    for i in range(total):
        earlier = (issue - dt.timedelta(days=1 if daily[i] else 7)).isoformat()
        for pk in rng.choice(last_week, int(rng.integers(lo, hi + 1)), replace=False).tolist():
            sent.append((int(sub_ids[i]), int(pk), earlier))
    raw.executemany(
        "INSERT INTO digests_sentpaper (subscription_id, paper_id, issue_date) VALUES (?,?,?)",
        sent,
    )
    say(f"  {len(sent):,} papers sent earlier; built in {time.perf_counter() - started:.0f} s")
    return {
        "issue_date": issue.isoformat(),
        "readers": readers,
        "inactive": inactive,
        "members": members,
        "library_items": items,
        "follows": len(follow_rows),
        "featured": len(entries),
        "votes": len(votes),
        "sent_history": len(sent),
    }


def _items(raw: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    raw.executemany(
        "INSERT INTO library_collectionitem (collection_id, paper_id, note, position, source, "
        "added_at) VALUES (?,?,?,?,?,?)",
        rows,
    )


def _hour_weights() -> np.ndarray:
    """Most readers want their mail in the morning."""
    w: np.ndarray = np.ones(24)
    w[6:10] = [4, 8, 6, 3]
    out: np.ndarray = w / w.sum()
    return out


def build_fixture(args: argparse.Namespace) -> None:
    """In a fresh process: the catalogue (cached on its own), then the readers."""
    CACHE.mkdir(parents=True, exist_ok=True)
    build = OUT / f"digest-build-{fixture_key(args)}"
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    have_catalogue = CATALOGUE.exists() and (INDEX / "manifest.json").exists()
    if have_catalogue and not args.fresh_catalogue:
        copy_db(CATALOGUE, build)
    setup_django(build, queries_path(args))
    if not have_catalogue or args.fresh_catalogue:
        say("building the catalogue (once)")
        build_catalogue()
    say(f"building {args.readers:,} readers")
    facts = build_readers(args.readers, args.seed, queries_path(args))
    fixture_path(args).with_suffix(".json").write_text(json.dumps(facts, indent=1))
    checkpoint_to(fixture_path(args))
    shutil.rmtree(build)


# --- the loopback SMTP server ------------------------------------------------------------


def _smtp_server(port: int, count: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Recorder:
    """An aiosmtpd server in another process that counts the messages it accepts."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        ctx = multiprocessing.get_context("spawn")
        self._count = ctx.Value("i", 0)
        self._ready = ctx.Event()
        self._stop = ctx.Event()
        self._proc = ctx.Process(
            target=_smtp_server, args=(self.port, self._count, self._ready, self._stop)
        )

    @property
    def count(self) -> int:
        return int(self._count.value)

    def __enter__(self) -> Recorder:
        self._proc.start()
        if not self._ready.wait(30):
            raise SystemExit("the loopback SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._proc.join(10)


# --- the run -------------------------------------------------------------------------------


@dataclass
class Timed:
    readers: int
    composed: int
    seconds: float

    @property
    def per_reader_ms(self) -> float:
        return 1000 * self.seconds / max(self.readers, 1)

    @property
    def rate(self) -> float:
        return self.readers / self.seconds if self.seconds else float("inf")


def reset_run(args: argparse.Namespace) -> None:
    from django.db import connections

    connections.close_all()
    copy_db(fixture_path(args), RUN)
    migrate()


def migrate() -> None:
    """Bring the run's copy of the fixture to this checkout's migrations (a fixture built
    before a migration is still good)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def warm_index() -> None:
    from dailypapers.search.holder import HOLDER

    started = time.perf_counter()
    HOLDER.index().prefetch()
    say(f"search index open in {time.perf_counter() - started:.1f} s")


def baseline(issue: dt.date, slice_ids: list[int]) -> tuple[Timed, dict[int, tuple[str, int]]]:
    """The straightforward loop: compose one reader, save its row, next."""
    from dailypapers.digests.compose import compose_one
    from dailypapers.digests.models import Subscription

    subs = list(Subscription.objects.filter(pk__in=slice_ids).order_by("pk"))
    out: dict[int, tuple[str, int]] = {}
    started = time.perf_counter()
    for sub in subs:
        issue_obj = compose_one(sub, issue)
        if issue_obj is not None:
            row = issue_obj.outbox_row()
            row.save()
            out[sub.pk] = (row.subject, row.paper_count)
    return Timed(len(subs), len(out), time.perf_counter() - started), out


def fast(
    issue: dt.date, sampler: RssSampler, workers: int, profile: int = 0
) -> tuple[Timed, list[tuple[int, int]]]:
    """``compose_due`` for the whole day, with the peak RSS of each quarter of the readers."""
    from dailypapers.digests.compose import compose_due

    quarters: list[int] = []
    peaks: list[tuple[int, int]] = []
    started = time.perf_counter()
    last = [started]

    def progress(done: int, total: int) -> None:
        if not peaks and not quarters:
            quarters.extend(math.ceil(total * q / 4) for q in (1, 2, 3, 4))
        while quarters and done >= quarters[0]:
            peaks.append((quarters.pop(0), sampler.mark()))
            now = time.perf_counter()
            say(
                f"  {peaks[-1][0]:>9,} composed at {now - started:6.1f} s "
                f"(+{now - last[0]:.1f} s), peak RSS {mib(peaks[-1][1])}"
            )
            last[0] = now

    sampler.mark()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        report = profiler.runcall(compose_due, issue_date=issue, progress=progress, workers=workers)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    else:
        report = compose_due(issue_date=issue, progress=progress, workers=workers)
    seconds = time.perf_counter() - started
    if quarters or not peaks:  # the last progress call fell short of the total
        peaks.append((report.readers, sampler.mark()))
    return Timed(report.readers, report.composed, seconds), peaks


def agreement(base: dict[int, tuple[str, int]]) -> tuple[int, int]:
    """How many of the baseline's digests the fast path composed alike (subject, papers)."""
    from dailypapers.digests.models import OutboxMessage

    rows = OutboxMessage.objects.filter(kind="digest", subscription_id__in=list(base))
    values = rows.values_list("subscription_id", "subject", "paper_count")
    found = {sub: (subject, count) for sub, subject, count in values}
    return sum(1 for k, v in base.items() if found.get(k) == v), len(base)


def send(limit: int) -> dict[str, float]:
    """``send_pending`` to the loopback server, then plain smtplib over the same messages."""
    from django.conf import settings
    from django.db import connection

    from dailypapers.digests.models import OutboxMessage
    from dailypapers.digests.sender import send_pending

    with Recorder() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        started = time.perf_counter()
        report = send_pending(limit=limit)
        seconds = time.perf_counter() - started
        received = server.count
        # the loopback's ceiling: the same messages, one connection, nothing else
        rows = list(
            OutboxMessage.objects.filter(state="sent")
            .order_by("id")
            .values_list("to_email", "message")[: min(limit, 2000)]
        )
        connection.close()
        wire = [(to, b"Date: Tue, 1 Dec 2026 07:00:00 +0000\r\n" + _unpack(m)) for to, m in rows]
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", server.port) as client:
            for to, data in wire:
                client.sendmail("papers@localhost", [to], data)
        plain = time.perf_counter() - started
    return {
        "sent": float(report.sent),
        "retried": float(report.retried),
        "failed": float(report.failed),
        "received": float(received),
        "seconds": seconds,
        "plain_messages": float(len(wire)),
        "plain_seconds": plain,
    }


def _unpack(message: bytes | memoryview) -> bytes:
    import zlib

    return zlib.decompress(bytes(message))


def run(args: argparse.Namespace) -> None:
    facts = json.loads(fixture_path(args).with_suffix(".json").read_text())
    issue = dt.date.fromisoformat(args.date or facts["issue_date"])
    copy_db(fixture_path(args), RUN)
    setup_django(RUN, queries_path(args))
    migrate()
    from dailypapers.digests.compose import active

    say(
        f"fixture: {facts['readers']:,} readers (+{facts['inactive']:,} inactive), "
        f"{facts['members']:,} members with {facts['library_items']:,} library papers, "
        f"{facts['follows']:,} follows, {facts['featured']:,} featured papers with "
        f"{facts['votes']:,} votes; issue of {issue} ({issue:%A}); "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    warm_index()
    sampler = RssSampler().start()
    rng = np.random.default_rng(args.seed + 1)
    ids = list(active().order_by("pk").values_list("pk", flat=True))
    slice_ids = sorted(rng.choice(ids, min(args.baseline, len(ids)), replace=False).tolist())
    say(f"baseline: the per-reader loop over {len(slice_ids):,} active subscriptions")
    base, base_out = baseline(issue, slice_ids)
    say(
        f"  {base.composed:,} composed of {base.readers:,} in {base.seconds:.1f} s "
        f"({base.per_reader_ms:.1f} ms a reader); peak RSS {mib(sampler.mark())}"
    )
    reset_run(args)
    gc.collect()
    say(
        f"batched: compose_due for the day ({facts['readers']:,} readers due, "
        f"{args.workers} composing processes)"
    )
    fastest, peaks = fast(issue, sampler, args.workers, args.profile)
    say(
        f"  {fastest.composed:,} composed of {fastest.readers:,} in {fastest.seconds:.1f} s "
        f"({fastest.per_reader_ms:.2f} ms a reader)"
    )
    same, of = agreement(base_out)
    sent = send(args.send) if args.send else None
    sampler.stop()

    speedup = base.per_reader_ms / max(fastest.per_reader_ms, 1e-9)
    first_peak, last_peak = peaks[0][1], peaks[-1][1]
    flat = last_peak - first_peak <= max(64 * MIB, 0.10 * first_peak)
    say("")
    say(f"Digest speed, issue of {issue}, {facts['readers']:,} readers, {os.cpu_count()} CPUs")
    heads = f"{'readers':>9}{'composed':>10}{'seconds':>10}{'ms/reader':>11}{'readers/s':>11}"
    say(f"  {'':<34}{heads}")
    for label, t in (
        ("baseline (compose_one + save)", base),
        (f"batched (compose_due, {args.workers} proc.)", fastest),
    ):
        say(
            f"  {label:<34}{t.readers:>9,}{t.composed:>10,}{t.seconds:>10.1f}"
            f"{t.per_reader_ms:>11.2f}{t.rate:>11,.0f}"
        )
    say(f"  per reader: batched is {speedup:.1f}x the baseline")
    say(f"  baseline's digests composed alike by the batched path: {same:,} of {of:,}")
    say("  peak RSS by readers composed: " + ", ".join(f"{n:,}: {mib(p)}" for n, p in peaks))
    results = [
        (f"all {fastest.readers:,} composed in under 300 s ({fastest.seconds:.0f} s)",
         fastest.seconds < 300 and fastest.readers >= facts["readers"]),
        (f"at least 20x the baseline per reader ({speedup:.1f}x)", speedup >= 20),
        (f"memory flat (peak {mib(first_peak)} after the first quarter, {mib(last_peak)} after "
         "all)", flat),
    ]  # fmt: skip
    if sent is not None:
        rate = sent["sent"] / sent["seconds"] if sent["seconds"] else 0.0
        plain = sent["plain_messages"] / sent["plain_seconds"] if sent["plain_seconds"] else 0.0
        say(
            f"  send_pending: {sent['sent']:.0f} sent ({sent['retried']:.0f} retried, "
            f"{sent['failed']:.0f} failed), {sent['received']:.0f} received, in "
            f"{sent['seconds']:.1f} s: {rate:,.0f} messages/s; plain smtplib on one "
            f"connection, the same messages: {plain:,.0f} messages/s "
            f"({rate / max(plain, 1e-9):.0%} of it)"
        )
        results.append(
            (f"sending at least 100 messages/s ({rate:,.0f})",
             rate >= 100 and sent["received"] == sent["sent"] > 0),
        )  # fmt: skip
    for text, ok in results:
        say(f"  [{mark(ok)}] {text}")
    say(
        json.dumps(
            {
                "issue_date": issue.isoformat(),
                "readers": fastest.readers,
                "composed": fastest.composed,
                "seconds": round(fastest.seconds, 2),
                "baseline_readers": base.readers,
                "baseline_seconds": round(base.seconds, 2),
                "speedup_per_reader": round(speedup, 1),
                "peak_rss_mib": [[n, round(p / MIB)] for n, p in peaks],
                "send": sent,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=2000, help="readers in the slice")
    parser.add_argument("--send", type=int, default=5000, help="messages in the send phase")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="compose_due's processes"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--date", default="", help="the issue date (default: the fixture's)")
    parser.add_argument("--fresh", action="store_true", help="build the fixture again")
    parser.add_argument(
        "--fresh-catalogue", action="store_true", help="import and index the catalogue again too"
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="profile compose_due: print its N costliest calls"
    )
    parser.add_argument("--build-only", action="store_true", help="build the fixture, stop")
    parser.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        build_fixture(args)
        return
    if args.fresh or args.fresh_catalogue or not fixture_path(args).exists():
        # In a process of its own, so that nothing it held weighs on the run's memory.
        command = [sys.executable, __file__, "--_child", "--readers", str(args.readers)]
        command += ["--seed", str(args.seed)]
        command += ["--fresh-catalogue"] if args.fresh_catalogue else []
        started = time.perf_counter()
        subprocess.run(command, check=True)
        say(f"fixture built in {time.perf_counter() - started:.0f} s")
    if not args.build_only:
        run(args)


if __name__ == "__main__":
    main()
