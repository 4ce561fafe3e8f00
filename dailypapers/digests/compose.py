"""Composing digests: what each reader's issue holds, rendered into the outbox.

An issue is dated by the reader's own calendar (their time zone): a daily reader's issue of
day D covers papers featured on D-1 and D, a weekly reader's the seven days before D and D.
It holds, in order:

1. **Top papers**: the covered days' featured papers, most votes first;
2. **Picked for you** (members with signals who keep personal picks on): the For you ranking
   over the papers submitted in the covered days, each with its reason;
3. **Trending**: the trending list of recent days, past what the issue already holds.

A reader's categories narrow the top and trending papers and picks of the "like your papers"
kind; followed authors, categories and saved searches add picks of their own. A paper a
reader was sent is never sent to them again (``SentPaper``), and an issue with nothing left
is not sent at all (weekends, holidays).

Two ways to compose, one result. ``compose_one`` composes one reader's issue with a handful
of queries of its own (the settings page's preview, the ``--to`` of the CLI);
``compose_due`` composes thousands: the shared lists are loaded once per issue date, the
readers' signals and sent papers a chunk at a time, every paper is rendered once per run,
and the outbox rows are written a chunk per transaction, so memory stays flat however many
readers there are. A test checks that both give the same issue.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.models import Q, QuerySet
from django.utils import timezone
from markupsafe import Markup

from dailypapers.catalog.models import Paper
from dailypapers.catalog.text import readable_text
from dailypapers.community.models import DailyEntry
from dailypapers.search.foryou import (
    Pick,
    Recent,
    Signals,
    Span,
    Why,
    Window,
    rank_picks,
    recent_papers,
)
from dailypapers.search.foryou import readers_signals as load_signals
from dailypapers.search.holder import SearchUnavailable
from dailypapers.search.tasks import open_index
from papersearch import SearchIndex
from papersearch.profiles import one_blas_thread

from . import links, mail
from . import workers as composing
from .models import OutboxMessage, SentPaper, Subscription, zone_of

log = logging.getLogger(__name__)

DAILY: str = Subscription.Frequency.DAILY.value
WEEKLY: str = Subscription.Frequency.WEEKLY.value
SPAN_DAYS: dict[str, int] = {DAILY: 1, WEEKLY: 7}  # the covered days before the issue's own
TOP: dict[str, int] = {DAILY: 10, WEEKLY: 15}
PICKS = 5
TRENDING = 5
TRENDING_DAYS: dict[str, int] = {DAILY: 3, WEEKLY: 14}  # trending papers featured this recently
POOL = 300  # candidates loaded for each shared list before a reader's narrowing
HISTORY_DAYS = 60  # sent papers are remembered this long: longer than any candidate's age
CHUNK = 1000
SUMMARY_CHARS = 300
PAPER = f"{mail.TEMPLATES}/digest/paper"  # .html, .txt


def active() -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True, paused_at__isnull=True
    )


def is_issue_day(subscription: Subscription, day: dt.date) -> bool:
    return subscription.frequency == DAILY or day.weekday() == subscription.weekday


def next_issue_date(subscription: Subscription, now: dt.datetime | None = None) -> dt.date:
    """The reader's local date of their next issue: today when today's has not been composed
    (whether or not its hour has come), else the next issue day."""
    local = (now or timezone.now()).astimezone(subscription.zone)
    day = local.date()
    done = subscription.last_issue_date
    for _ in range(8):
        if is_issue_day(subscription, day) and (done is None or day > done):
            return day
        day += dt.timedelta(days=1)
    return day


# --- papers as a digest shows them -----------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A paper as digests show it, rendered once per run (HTML and text)."""

    pk: int
    arxiv_id: str
    title: str
    categories: frozenset[str]
    html: Markup
    text: str


def load_cards(pks: Iterable[int], cards: dict[int, Card]) -> None:
    """Add the papers of ``pks`` not yet in ``cards`` (one query, one render each)."""
    wanted = [pk for pk in set(pks) if pk not in cards]
    if not wanted:
        return
    votes = dict(
        DailyEntry.objects.filter(paper_id__in=wanted, hidden=False).values_list(
            "paper_id", "upvotes"
        )
    )
    rows = Paper.objects.filter(pk__in=wanted).values_list(
        "pk", "arxiv_id", "title", "abstract", "author_names", "categories", "primary_category"
    )
    for pk, arxiv_id, title, abstract, names, cats, primary in rows:
        title_text = readable_text(title)
        summary = readable_text(abstract)
        if len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
        authors = list(names or [])
        author_text = ", ".join(authors[:4])
        if len(authors) > 4:
            author_text += f" and {len(authors) - 4} more"
        context = {
            "title": title_text,
            "authors": author_text,
            "summary": summary,
            "votes": votes.get(pk, 0),
            "url": links.absolute(f"/papers/{arxiv_id}"),
            "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
            "category": primary,
        }
        cards[pk] = Card(
            pk=pk,
            arxiv_id=arxiv_id,
            title=title_text,
            categories=frozenset([*(cats or []), primary]) - {""},
            html=Markup(mail.jinja_template(f"{PAPER}.html").render(context)),  # noqa: S704 - autoescaped
            text=mail.jinja_template(f"{PAPER}.txt").render(context).strip(),
        )


# --- what an issue holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    card: Card
    reason: str = ""


@dataclass
class Section:
    key: str
    title: str
    items: list[Item]


@dataclass
class Pools:
    """The shared lists of one issue date and frequency: paper pks, best first."""

    top: list[int]
    trending: list[int]

    @property
    def pks(self) -> set[int]:
        return set(self.top) | set(self.trending)


def load_pools(frequency: str, day: dt.date) -> Pools:
    first = day - dt.timedelta(days=SPAN_DAYS[frequency])
    top = DailyEntry.objects.between(first, day).values_list("paper_id", flat=True)[:POOL]
    recent = day - dt.timedelta(days=TRENDING_DAYS[frequency])
    trending = (
        DailyEntry.objects.trending()
        .filter(day__gte=recent, day__lte=day)
        .values_list("paper_id", flat=True)[:POOL]
    )
    return Pools(list(top), list(trending))


def span_of(frequency: str, day: dt.date) -> Span:
    window = Window.DAY if frequency == DAILY else Window.WEEK
    return Span(window, day - dt.timedelta(days=SPAN_DAYS[frequency]), day)


def reason_text(pick: Pick, titles: dict[str, str]) -> str:
    parts = []
    for reason in pick.reasons:
        if reason.why == Why.LIKE:
            title = titles.get(reason.value)
            if title:
                parts.append(f"Like “{title}”, in your papers")
        elif reason.why == Why.AUTHOR:
            parts.append(f"By {reason.value}, whom you follow")
        elif reason.why == Why.SEARCH:
            parts.append(f"Matches your saved search “{reason.label or reason.value}”")
        elif reason.why == Why.CATEGORY:
            parts.append(f"New in {reason.value}, which you follow")
    return "; ".join(parts[:2])


def select(  # noqa: PLR0917
    subscription: Subscription,
    categories: frozenset[str],
    pools: Pools,
    sent: set[int],
    picks: Sequence[tuple[int, Pick]],
    cards: dict[int, Card],
    titles: dict[str, str],
) -> list[Section]:
    """The sections of one reader's issue from what was loaded for them."""
    taken = set(sent)

    def fits(pk: int) -> bool:
        card = cards.get(pk)
        if card is None or pk in taken:
            return False
        return not categories or bool(card.categories & categories)

    def take(pks: Iterable[int], most: int) -> list[Item]:
        out: list[Item] = []
        for pk in pks:
            if len(out) >= most:
                break
            if fits(pk):
                taken.add(pk)
                out.append(Item(cards[pk]))
        return out

    frequency = subscription.frequency
    sections = [Section("top", "Top papers", take(pools.top, TOP[frequency]))]
    chosen: list[Item] = []
    for pk, pick in picks:
        if len(chosen) >= PICKS:
            break
        card = cards.get(pk)
        if card is None or pk in taken:
            continue
        explicit = any(r.why != Why.LIKE for r in pick.reasons)
        if categories and not explicit and not card.categories & categories:
            continue
        text = reason_text(pick, titles)
        if not text:
            continue
        taken.add(pk)
        chosen.append(Item(card, text))
    sections.append(Section("picks", "Picked for you", chosen))
    sections.append(Section("trending", "Trending", take(pools.trending, TRENDING)))
    return [s for s in sections if s.items]


# --- rendering ----------------------------------------------------------------------------


@dataclass
class Issue:
    """One reader's issue, rendered."""

    subscription: Subscription
    issue_date: dt.date
    sections: list[Section]
    subject: str
    text: str
    html: str
    headers: dict[str, str]

    @property
    def papers(self) -> list[int]:
        return [item.card.pk for section in self.sections for item in section.items]

    def outbox_row(self) -> OutboxMessage:
        sub = self.subscription
        return mail.outbox_row(
            kind=OutboxMessage.Kind.DIGEST,
            key=f"digest:{sub.pk}:{self.issue_date.isoformat()}",
            to=sub.email,
            subject=self.subject,
            text=self.text,
            html=self.html,
            subscription=sub,
            user_id=sub.user_id,
            issue_date=self.issue_date,
            time_zone=sub.time_zone,
            paper_count=len(self.papers),
            headers=self.headers,
        )


def render_issue(subscription: Subscription, day: dt.date, sections: list[Section]) -> Issue:
    count = sum(len(s.items) for s in sections)
    lead = sections[0].items[0].card.title
    lead = lead if len(lead) <= 90 else lead[:89].rsplit(" ", 1)[0] + "…"
    context: dict[str, Any] = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "weekly": subscription.frequency == WEEKLY,
        "day_short": f"{day.day} {day:%b}",
        "day_long": f"{day:%A} {day.day} {day:%B %Y}",
        "sections": sections,
        "count": count,
        "more": count - 1,
        "lead": lead,
        "manage_url": links.manage_url(subscription),
        "unsubscribe_url": links.unsubscribe_url(subscription),
        "email": subscription.email,
    }
    subject, text, html = mail.render_digest("digest", context)
    return Issue(
        subscription, day, sections, subject, text, html, links.unsubscribe_headers(subscription)
    )


# --- one reader ------------------------------------------------------------------------------


def _papers_of(picks: list[Pick]) -> tuple[dict[str, int], dict[str, str]]:
    """The pks of the picks' papers and the titles of the library papers their reasons
    name, by arXiv id (one query)."""
    ids = {p.paper_id for p in picks} | {
        r.value for p in picks for r in p.reasons if r.why == Why.LIKE
    }
    rows = Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", "pk", "title")
    pk_of, titles = {}, {}
    for arxiv_id, pk, title in rows:
        pk_of[arxiv_id] = pk
        titles[arxiv_id] = readable_text(title)
    return pk_of, titles


def _by_pk(picks: list[Pick], pk_of: dict[str, int]) -> list[tuple[int, Pick]]:
    return [(pk_of[p.paper_id], p) for p in picks if p.paper_id in pk_of]


def _index() -> SearchIndex | None:
    try:
        return open_index()
    except SearchUnavailable:
        return None


def _rank(index: SearchIndex | None, signals: Signals, span: Span, recent: Recent) -> list[Pick]:
    if signals.is_empty:
        return []
    limit = PICKS + max(TOP.values()) + TRENDING + 10
    return rank_picks(index, signals, span, limit=limit, dense=limit * 2, recent=recent)[0]


def wants_picks(subscription: Subscription) -> bool:
    return subscription.user_id is not None and subscription.personal_picks


def compose_one(
    subscription: Subscription,
    issue_date: dt.date,
    *,
    cards: dict[int, Card] | None = None,
    index: SearchIndex | None = None,
) -> Issue | None:
    """One reader's issue of ``issue_date``, loaded with queries of its own (None: nothing
    new to send)."""
    cards = {} if cards is None else cards
    pools = load_pools(subscription.frequency, issue_date)
    since = issue_date - dt.timedelta(days=HISTORY_DAYS)
    sent = set(
        SentPaper.objects.filter(subscription=subscription, issue_date__gte=since).values_list(
            "paper_id", flat=True
        )
    )
    picks: list[tuple[int, Pick]] = []
    titles: dict[str, str] = {}
    if wants_picks(subscription):
        assert subscription.user_id is not None
        signals = load_signals([subscription.user_id])[subscription.user_id]
        signals.shown = set(Paper.objects.filter(pk__in=sent).values_list("arxiv_id", flat=True))
        span = span_of(subscription.frequency, issue_date)
        with one_blas_thread():
            ranked = _rank(index or _index(), signals, span, recent_papers(span))
        pk_of, titles = _papers_of(ranked)
        picks = _by_pk(ranked, pk_of)
    load_cards(pools.pks | {pk for pk, _ in picks}, cards)
    categories = frozenset(subscription.categories.values_list("code", flat=True))
    sections = select(subscription, categories, pools, sent, picks, cards, titles)
    if not sections:
        return None
    return render_issue(subscription, issue_date, sections)


def preview(subscription: Subscription, now: dt.datetime | None = None) -> Issue | None:
    """The reader's next issue as it would be sent if it were composed now."""
    return compose_one(subscription, next_issue_date(subscription, now))


# --- every reader that is due ----------------------------------------------------------------


@dataclass
class ComposeReport:
    readers: int = 0  # due readers looked at
    composed: int = 0  # issues put in the outbox
    empty: int = 0  # readers with nothing new: no mail
    seconds: float = 0.0
    by_date: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.composed} digests composed, {self.empty} with nothing new, of "
            f"{self.readers} due readers, in {self.seconds:.1f} s"
        )


def due_groups(
    now: dt.datetime, issue_date: dt.date | None = None, only: str | None = None
) -> dict[tuple[str, dt.date], list[int]]:
    """The due subscriptions by (frequency, issue date): those whose local hour has come on
    an issue day of theirs not yet composed; or, with ``issue_date``, every active one whose
    issue day it is and that has no issue of that date yet."""
    groups: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
    base = active()
    if only:
        base = base.filter(email=only.strip().lower())
    zones = base.values_list("time_zone", flat=True).distinct().order_by()
    for name in zones:
        local = now.astimezone(zone_of(name))
        day = issue_date or local.date()
        qs = base.filter(time_zone=name).filter(
            Q(frequency=DAILY) | Q(frequency=WEEKLY, weekday=day.weekday())
        )
        if issue_date is None:
            qs = qs.filter(hour__lte=local.hour).filter(
                Q(last_issue_date__isnull=True) | Q(last_issue_date__lt=day)
            )
        else:
            done = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.DIGEST, issue_date=day)
            qs = qs.exclude(pk__in=done.values("subscription_id"))
        for pk, frequency in qs.order_by("pk").values_list("pk", "frequency"):
            groups[(frequency, day)].append(pk)
    return groups


Job = tuple[str, dt.date, list[int]]  # (frequency, issue date, subscription pks)


class Run:
    """What one composing process keeps between chunks: the index, the shared lists and the
    window's papers of the issue date it is on, and the papers rendered so far (dropped,
    but for the shared lists', when it moves to another issue date)."""

    def __init__(self) -> None:
        self.index = _index()
        self.cards: dict[int, Card] = {}
        self.key: tuple[str, dt.date] | None = None
        self.pools = Pools([], [])
        self.recent: Recent | None = None

    def compose(self, job: Job, dry_run: bool) -> tuple[int, int]:
        frequency, day, pks = job
        if self.recent is None or self.key != (frequency, day):
            self.key = (frequency, day)
            self.pools = load_pools(frequency, day)
            self.recent = recent_papers(span_of(frequency, day))
            shared = self.pools.pks
            for pk in [pk for pk in self.cards if pk not in shared]:
                del self.cards[pk]  # keep memory flat: the last date's picks are done
            load_cards(shared, self.cards)
        # One BLAS thread: a composing process is one of several on as many cores.
        with one_blas_thread():
            return _compose_chunk(
                pks, frequency, day, self.pools, self.recent, self.cards, self.index, dry_run
            )


def compose_due(
    now: dt.datetime | None = None,
    *,
    issue_date: dt.date | None = None,
    dry_run: bool = False,
    only: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> ComposeReport:
    """Compose every due reader's issue into the outbox (see ``due_groups``), a chunk of
    ``CHUNK`` readers at a time, in ``workers`` processes (``DIGEST_WORKERS``). Each chunk is
    written in one transaction, so a run that is stopped keeps what it composed and the next
    run composes the rest."""
    started = time.perf_counter()
    now = now or timezone.now()
    groups = due_groups(now, issue_date, only)
    report = ComposeReport(readers=sum(len(v) for v in groups.values()))
    jobs: list[Job] = [
        (frequency, day, pks[first : first + CHUNK])
        for (frequency, day), pks in sorted(groups.items())
        for first in range(0, len(pks), CHUNK)
    ]
    workers = settings.DIGEST_WORKERS if workers is None else workers
    if workers > 1 and len(jobs) > 1 and _shared_database():
        results = _in_processes(jobs, min(workers, len(jobs)), dry_run)
    else:
        run = Run()
        results = ((job, run.compose(job, dry_run)) for job in jobs)
    done = 0
    for (_, day, pks), (composed, empty) in results:
        report.composed += composed
        report.empty += empty
        report.by_date[day.isoformat()] = report.by_date.get(day.isoformat(), 0) + composed
        done += len(pks)
        if progress is not None:
            progress(done, report.readers)
        log.info("digests: composed %d of %d due readers", done, report.readers)
    report.seconds = time.perf_counter() - started
    log.info("digests: %s", report)
    return report


def _shared_database() -> bool:
    """Whether other processes see this process's database (not an in-memory SQLite)."""
    conn = connections["default"]
    return not (isinstance(conn, SQLiteWrapper) and conn.is_in_memory_db())


# Settings a composing process takes from the one that started it (tests and operators may
# have changed them in the parent after start-up).
_INHERITED = (
    "SECRET_KEY",
    "SITE_URL",
    "SITE_NAME",
    "DIGEST_FROM_EMAIL",
    "DIGEST_UNSUBSCRIBE_MAILTO",
    "SEARCH_INDEX_DIR",
    "SEARCH_EMBEDDER",
)


def _in_processes(
    jobs: list[Job], workers: int, dry_run: bool
) -> Iterator[tuple[Job, tuple[int, int]]]:
    """Compose the jobs in fresh processes (``spawn``: nothing of this one's connections,
    index or threads is inherited), yielding each job's counts as it is done."""
    inherited = {name: getattr(settings, name) for name in _INHERITED if hasattr(settings, name)}
    database = connections["default"].settings_dict["NAME"]
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=composing.start,
        initargs=(module, database, inherited),
    ) as pool:
        futures = {pool.submit(composing.work, job, dry_run): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _compose_chunk(  # noqa: PLR0917
    pks: list[int],
    frequency: str,
    day: dt.date,
    pools: Pools,
    recent: Recent,
    cards: dict[int, Card],
    index: SearchIndex | None,
    dry_run: bool,
) -> tuple[int, int]:
    subs = list(Subscription.objects.filter(pk__in=pks).order_by("pk"))
    through = Subscription.categories.through.objects.filter(subscription_id__in=pks)
    categories: dict[int, set[str]] = defaultdict(set)
    for sid, code in through.values_list("subscription_id", "category_id"):
        categories[sid].add(code)
    # What each was sent: the shared lists' papers, and (for picks) the covered days'
    sent: dict[int, set[int]] = defaultdict(set)
    shown: dict[int, set[str]] = defaultdict(set)
    since = day - dt.timedelta(days=HISTORY_DAYS)
    old = SentPaper.objects.filter(subscription_id__in=pks, issue_date__gte=since)
    for sid, pk in old.filter(paper_id__in=pools.pks).values_list("subscription_id", "paper_id"):
        sent[sid].add(pk)
    members = [s for s in subs if wants_picks(s)]
    if members:
        lately = day - dt.timedelta(days=SPAN_DAYS[frequency] + 1)
        rows = SentPaper.objects.filter(
            subscription_id__in=[s.pk for s in members], issue_date__gte=lately
        ).values_list("subscription_id", "paper_id", "paper__arxiv_id")
        for sid, pk, arxiv_id in rows:
            sent[sid].add(pk)
            shown[sid].add(arxiv_id)
    signals = load_signals([s.user_id for s in members if s.user_id is not None])
    span = span_of(frequency, day)
    ranked: dict[int, list[Pick]] = {}
    for sub in members:
        assert sub.user_id is not None
        mine = signals[sub.user_id]
        mine.shown = shown[sub.pk]
        ranked[sub.pk] = _rank(index, mine, span, recent)
    everyone = [p for picks in ranked.values() for p in picks]
    pk_of, titles = _papers_of(everyone)
    load_cards((pk for pk, _ in _by_pk(everyone, pk_of)), cards)
    rows_out: list[OutboxMessage] = []
    sent_out: list[tuple[int, int, str]] = []
    empty = 0
    for sub in subs:
        picks = _by_pk(ranked.get(sub.pk, []), pk_of)
        cats = frozenset(categories.get(sub.pk, ()))
        sections = select(sub, cats, pools, sent[sub.pk], picks, cards, titles)
        if not sections:
            empty += 1
            continue
        issue = render_issue(sub, day, sections)
        rows_out.append(issue.outbox_row())
        sent_out += [(sub.pk, paper, day.isoformat()) for paper in issue.papers]
    if not dry_run:
        with transaction.atomic():
            OutboxMessage.objects.bulk_create(rows_out, batch_size=500, ignore_conflicts=True)
            _remember(sent_out)
            Subscription.objects.filter(pk__in=pks).filter(
                Q(last_issue_date__isnull=True) | Q(last_issue_date__lt=day)
            ).update(last_issue_date=day)
    return len(rows_out), empty


def _remember(rows: list[tuple[int, int, str]]) -> None:
    """Record what was sent: (subscription, paper, issue date) rows, in one statement per
    thousand (the ORM's objects cost more than the insert, at ~17 a reader)."""
    table = connections["default"].ops.quote_name(SentPaper._meta.db_table)
    sql = (
        f"INSERT INTO {table} (subscription_id, paper_id, issue_date) "  # noqa: S608 - our table
        "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
    )
    with connections["default"].cursor() as cursor:
        for first in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[first : first + 1000])


def prune_history(today: dt.date | None = None) -> int:
    """Forget sent papers older than any a digest could pick again."""
    today = today or timezone.now().date()
    deleted, _ = SentPaper.objects.filter(
        issue_date__lt=today - dt.timedelta(days=HISTORY_DAYS)
    ).delete()
    return deleted
