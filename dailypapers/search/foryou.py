"""Personal picks for the "For you" page: new papers ranked from a reader's own signals.

A reader's library is every paper they gave a sign of interest in, each with a weight
(``WEIGHTS``): saved or in a collection, imported, upvoted, read, "more like this". The
library's vectors are clustered into a few interest profiles (``build_profiles`` over the
whole weighted library) and the index recommends new papers for all of them at once, with the
window's dates and the reader's exclusions applied inside the search, and "not interested"
papers as negatives. Beside those, what the reader follows brings its own picks from the
database and the index: followed authors' new papers, the newest papers of followed
categories, the best few results of each saved search. Every source gives a pick a score and
a reason; a paper brought by several keeps every reason and scores by its best source plus a
share of the others (``merge``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from django.contrib.auth.models import User
from django.http import QueryDict
from django.utils import timezone

from dailypapers.catalog.models import Author, Paper, PaperAuthor, PaperCategory
from dailypapers.community.models import Vote
from dailypapers.community.votes import with_upvotes
from dailypapers.library.models import (
    CollectionItem,
    Feedback,
    Follow,
    ReaderState,
    ReadMark,
)
from papersearch import Filters, SearchIndex, build_profiles
from papersearch.types import FloatArray

from .forms import SearchForm
from .holder import SearchUnavailable
from .services import SearchRequest, clean_query, search_papers
from .tasks import open_index

log = logging.getLogger(__name__)

PER_PAGE = 30
MAX_PICKS = 300  # the merged list is cut here: ten pages
DENSE_PICKS = 200  # what the index recommends from the library's profiles
# Dense picks scoring under this share of the best pick of their interest (the profile of the
# library paper they are most like) are left out: the tail of a small catalogue.
DENSE_FLOOR = 0.5
MOST_PROFILES = 8
LIBRARY_CAP = 2000  # the newest signals of each kind that make the profiles
AUTHOR_PICKS = 100
CATEGORY_PICKS = 10  # the newest papers of each followed category
SEARCH_PICKS = 5  # the best results of each saved search
FOLLOWS_CAP = 50  # of each kind
VISIT_GAP = dt.timedelta(minutes=30)  # views closer together are one visit
LONGEST_WINDOW_DAYS = 30


class Signal(StrEnum):
    SAVED = "saved"
    IMPORTED = "imported"
    UPVOTED = "upvoted"
    READ = "read"
    MORE = "more"


# How much each kind of signal counts in the profiles; a paper with several counts by its
# heaviest. "More like this" is the reader's plainest word; a read paper says least.
# A weight w moves the similarities to that paper by 0.3 * log2(w) (papersearch's
# RecommendConfig.weight_cost): more like this +0.30, imported -0.10, read -0.22.
WEIGHTS: dict[Signal, float] = {
    Signal.MORE: 2.0,
    Signal.SAVED: 1.0,
    Signal.UPVOTED: 1.0,
    Signal.IMPORTED: 0.8,
    Signal.READ: 0.6,
}

# Scores of the follow sources, on the scale of the dense score (a weighted mean of cosine
# similarities, 0.3 to 0.7 for a good match with MiniLM): a followed author's paper is an
# explicit wish; a saved search's results decay with their rank; a category is broad.
AUTHOR_SCORE = 0.9
SEARCH_SCORE = 0.8
SEARCH_DECAY = 0.05
CATEGORY_SCORE = 0.4
CATEGORY_DECAY = 0.01
OTHERS_SHARE = 0.25  # a pick's further sources add this share of their scores


class Window(StrEnum):
    SINCE = "since"
    DAY = "1"
    WEEK = "7"
    MONTH = "30"


WINDOW_LABELS = {
    Window.SINCE: "Since your last visit",
    Window.DAY: "Last day",
    Window.WEEK: "Last 7 days",
    Window.MONTH: "Last 30 days",
}


@dataclass(frozen=True)
class Span:
    """The window of new papers: submitted on or after ``start`` (a UTC day), to today."""

    window: Window
    start: dt.date
    end: dt.date
    since: dt.datetime | None = None  # the last visit, when the window starts there


def choose_window(wanted: str, previous: dt.datetime | None, now: dt.datetime) -> Span:
    """The window asked for (``since``, ``1``, ``7``, ``30``), or the default: since the last
    visit when there is one within 30 days, else the last 7 days."""
    today = now.astimezone(dt.UTC).date()
    recent = previous is not None and now - previous <= dt.timedelta(days=LONGEST_WINDOW_DAYS)
    try:
        window = Window(wanted)
    except ValueError:
        window = Window.SINCE if recent else Window.WEEK
    if window == Window.SINCE:
        if previous is None or not recent:
            window = Window.WEEK
        else:
            return Span(window, previous.astimezone(dt.UTC).date(), today, previous)
    days = int(window.value)
    return Span(window, today - dt.timedelta(days=days - 1), today)


def record_visit(user: User, now: dt.datetime | None = None) -> ReaderState:
    """Note a view of the page: the previous visit becomes the start of "since your last
    visit". Views within ``VISIT_GAP`` of the last are the same visit and move nothing."""
    now = now or timezone.now()
    state, _ = ReaderState.objects.get_or_create(user=user)
    seen = state.for_you_seen_at
    if seen is not None and now - seen < VISIT_GAP:
        return state
    state.for_you_previous_at, state.for_you_seen_at = seen, now
    ReaderState.objects.filter(pk=state.pk).update(for_you_previous_at=seen, for_you_seen_at=now)
    return state


# --- the private feed -----------------------------------------------------------------
# A reader's picks as RSS and Atom at an address with a secret in it (feed readers fetch
# without a session). Only the secret's SHA-256 digest is kept; a new secret replaces the
# old one, whose address then answers 404.

FEED_SECRET_BYTES = 24  # 32 URL-safe characters
FEED_SECRET_CHARS = 64  # longer is not one of ours: refused before hashing


def _feed_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def feed_key(secret: str) -> str:
    """What the feed's cached copy is kept under: the secret's digest."""
    return _feed_digest(secret)


def new_feed_secret(user: User) -> str:
    """A new secret for the reader's feed address (the old one stops working); returned
    once, never kept."""
    secret = secrets.token_urlsafe(FEED_SECRET_BYTES)
    ReaderState.objects.update_or_create(user=user, defaults={"feed_digest": _feed_digest(secret)})
    return secret


def stop_feed(user: User) -> None:
    """No feed address at all until the reader asks for a new one."""
    ReaderState.objects.filter(user=user).update(feed_digest=None)


def has_feed(state: ReaderState) -> bool:
    return bool(state.feed_digest)


def reader_of_feed(secret: str) -> User | None:
    """The active reader whose feed address carries this secret (one indexed query)."""
    if not secret or len(secret) > FEED_SECRET_CHARS or not secret.isascii():
        return None
    state = (
        ReaderState.objects.select_related("user")
        .filter(feed_digest=_feed_digest(secret), user__is_active=True)
        .first()
    )
    return state.user if state is not None else None


def feed_span(now: dt.datetime | None = None) -> Span:
    """The feed's window: the last seven days (a feed has no "last visit")."""
    return choose_window(Window.WEEK.value, None, now or timezone.now())


# --- what the reader told us ---------------------------------------------------------


@dataclass
class Signals:
    """A reader's signals, by arXiv id (the index's key)."""

    weights: dict[str, float] = field(default_factory=dict)  # the library, weighted
    dismissed: set[str] = field(default_factory=set)  # "not interested"
    more: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    collected: set[str] = field(default_factory=set)
    authors: dict[int, str] = field(default_factory=dict)  # followed: id -> name
    categories: list[str] = field(default_factory=list)
    searches: list[tuple[str, str]] = field(default_factory=list)  # (query string, label)
    shown: set[str] = field(default_factory=set)  # not to be picked again (a digest sent them)

    @property
    def seen(self) -> frozenset[str]:
        """Papers never picked: read, in a collection, dismissed, already in the library, or
        already shown."""
        return frozenset(self.weights) | self.dismissed | self.read | self.collected | self.shown

    @property
    def is_empty(self) -> bool:
        return not (self.weights or self.authors or self.categories or self.searches)

    def add(self, ids: Iterable[str], signal: Signal) -> None:
        weight = WEIGHTS[signal]
        for pid in ids:
            if self.weights.get(pid, 0.0) < weight:
                self.weights[pid] = weight


def reader_signals(user: User) -> Signals:
    """Everything that ranks the reader's picks, in five queries."""
    return readers_signals([user.pk])[user.pk]


def readers_signals(user_ids: Sequence[int]) -> dict[int, Signals]:
    """The signals of many readers in the same five queries (digests compose thousands at
    a time); each reader's lists are capped, newest first, as for one."""
    out = {uid: Signals() for uid in user_ids}
    ids = list(out)
    items = (
        CollectionItem.objects.filter(collection__owner_id__in=ids)
        .order_by("-added_at", "-id")
        .values_list("collection__owner_id", "paper__arxiv_id", "source")
    )
    counted: dict[int, int] = defaultdict(int)
    for uid, pid, source in items.iterator(chunk_size=5000):
        if counted[uid] >= LIBRARY_CAP:
            continue
        counted[uid] += 1
        signals = out[uid]
        signals.collected.add(pid)
        imported = source == CollectionItem.Source.IMPORTED
        signals.add([pid], Signal.IMPORTED if imported else Signal.SAVED)
    counted.clear()
    votes = Vote.objects.filter(user_id__in=ids).order_by("-created_at", "-id")
    for uid, pid in votes.values_list("user_id", "paper__arxiv_id").iterator(chunk_size=5000):
        if counted[uid] < LIBRARY_CAP:
            counted[uid] += 1
            out[uid].add([pid], Signal.UPVOTED)
    counted.clear()
    marks = ReadMark.objects.filter(user_id__in=ids).order_by("-read_at", "-id")
    for uid, pid in marks.values_list("user_id", "paper__arxiv_id").iterator(chunk_size=5000):
        if counted[uid] < LIBRARY_CAP:
            counted[uid] += 1
            out[uid].read.add(pid)
    feedback = Feedback.objects.filter(user_id__in=ids)
    for uid, pid, value in feedback.values_list("user_id", "paper__arxiv_id", "value"):
        if value == Feedback.Value.LESS:
            out[uid].dismissed.add(pid)
        else:
            out[uid].more.add(pid)
    follows = (
        Follow.objects.filter(user_id__in=ids)
        .order_by("-created_at", "-id")
        .values_list(
            "user_id", "kind", "author_id", "author__name", "category_id", "query", "label"
        )
    )
    for uid, kind, author_id, author_name, category, query, label in follows:
        signals = out[uid]
        if kind == Follow.Kind.AUTHOR and author_id is not None:
            if len(signals.authors) < FOLLOWS_CAP:
                signals.authors[author_id] = author_name
        elif kind == Follow.Kind.CATEGORY and category:
            if len(signals.categories) < FOLLOWS_CAP:
                signals.categories.append(str(category))
        elif kind == Follow.Kind.SEARCH and query and len(signals.searches) < FOLLOWS_CAP:
            signals.searches.append((query, label))
    for signals in out.values():
        signals.add(signals.read, Signal.READ)
        signals.add(signals.more, Signal.MORE)
        for pid in signals.dismissed:  # "not interested" outweighs any earlier sign
            signals.weights.pop(pid, None)
    return out


# --- picks ---------------------------------------------------------------------------


class Why(StrEnum):
    LIKE = "like"
    AUTHOR = "author"
    SEARCH = "search"
    CATEGORY = "category"


@dataclass(frozen=True)
class Reason:
    """Why a paper was picked: like a library paper (its arXiv id), by a followed author
    (the name), matching a saved search (its query string and label), new in a category."""

    why: Why
    value: str
    label: str = ""
    paper: Paper | None = None  # for LIKE: the library paper, hydrated for the page


@dataclass
class Pick:
    paper_id: str
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    paper: Paper | None = None

    def add(self, score: float, reason: Reason) -> None:
        self.scores.append(score)
        if reason not in self.reasons:
            self.reasons.append(reason)


def merge(sources: Iterable[tuple[str, float, Reason]]) -> list[Pick]:
    """One list from every source's ``(paper id, score, reason)``: a paper's score is its
    best source's plus ``OTHERS_SHARE`` of the rest; best first, ties in the order the
    sources gave them (each source lists its picks best or newest first)."""
    picks: dict[str, Pick] = {}
    for pid, score, reason in sources:
        picks.setdefault(pid, Pick(pid)).add(score, reason)
    for pick in picks.values():
        ordered = sorted(pick.scores, reverse=True)
        pick.score = ordered[0] + OTHERS_SHARE * sum(ordered[1:])
        pick.reasons.sort(key=lambda r: list(Why).index(r.why))
    return sorted(picks.values(), key=lambda p: -p.score)  # stable: ties in sources' order


Found = list[tuple[str, float, Reason]]  # a source's picks: (arXiv id, score, reason)


@dataclass(frozen=True)
class Recent:
    """A window's papers, newest first, with their authors and categories: the follow
    sources read from here instead of the database when many readers are ranked over one
    window (a day's digests). Built by ``recent_papers``."""

    start: dt.date
    ids: tuple[str, ...]  # newest first (ties: the later added first), as the queries order
    authors: dict[str, tuple[int, ...]]
    categories: dict[str, tuple[str, ...]]


def recent_papers(span: Span) -> Recent:
    """The papers submitted on or after the window's start, in three queries."""
    start = dt.datetime.combine(span.start, dt.time(), tzinfo=dt.UTC)
    papers = Paper.objects.filter(submitted__gte=start).order_by("-submitted", "-id")
    rows = list(papers.values_list("id", "arxiv_id"))
    arxiv_of = dict(rows)
    authors: dict[str, list[int]] = defaultdict(list)
    links = PaperAuthor.objects.filter(paper__submitted__gte=start).order_by("paper_id", "position")
    for paper_id, author_id in links.values_list("paper_id", "author_id"):
        authors[arxiv_of[paper_id]].append(author_id)
    categories: dict[str, list[str]] = defaultdict(list)
    codes = PaperCategory.objects.filter(paper__submitted__gte=start).order_by("paper_id", "id")
    for paper_id, code in codes.values_list("paper_id", "category_id"):
        categories[arxiv_of[paper_id]].append(str(code))
    return Recent(
        span.start,
        tuple(pid for _, pid in rows),
        {k: tuple(v) for k, v in authors.items()},
        {k: tuple(v) for k, v in categories.items()},
    )


def dense_picks(index: SearchIndex, signals: Signals, span: Span, k: int = DENSE_PICKS) -> Found:
    """The index's picks for the library's profiles within the window."""
    if not signals.weights:
        return []
    ids = list(signals.weights)
    found, vectors = index.vectors_of(ids)
    if not found:
        return []
    profiles = build_profiles(
        found, vectors, [signals.weights[pid] for pid in found], most=MOST_PROFILES
    )
    filters = Filters(date_from=span.start, date_to=span.end, exclude=signals.seen)
    picks = index.recommend(
        profiles,
        negatives=sorted(signals.dismissed),
        filters=filters,
        k=k,
        library=(found, vectors),
    )
    if not picks:
        return []
    like = _most_like(index, [p.id for p in picks], found, vectors)
    likes = [like.get(p.id, p.like) for p in picks]
    profile_of = {member: j for j, profile in enumerate(profiles) for member in profile.members}
    interests = [profile_of.get(lib, p.profile) for p, lib in zip(picks, likes, strict=True)]
    best: dict[int, float] = {}
    for p, j in zip(picks, interests, strict=True):
        best[j] = max(best.get(j, p.score), p.score)
    kept = [
        (p.id, p.score, lib)
        for p, lib, j in zip(picks, likes, interests, strict=True)
        if p.score >= DENSE_FLOOR * best[j]
    ]
    # The index's order shares the list among the interests by their weight (a light
    # interest's picks score lower, yet are not pushed off the page): each pick is given the
    # best score at or after its place, so merging by score keeps that order.
    out: Found = []
    running = float("-inf")
    for pid, score, lib in reversed(kept):
        running = max(running, score)
        out.append((pid, running, Reason(Why.LIKE, lib)))
    out.reverse()
    return out


def _most_like(
    index: SearchIndex, ids: list[str], library: list[str], vectors: FloatArray
) -> dict[str, str]:
    """For each pick, the library paper nearest to it. The index names the paper that gave
    the pick most of its (weighted) score, which can be a heavy paper on another subject;
    the reason shown is the paper the pick is most like."""
    found, picked = index.vectors_of(ids)
    if not found:
        return {}
    nearest = np.argmax(picked @ vectors.T, axis=1)
    return {pid: library[int(j)] for pid, j in zip(found, nearest.tolist(), strict=True)}


def author_picks(signals: Signals, span: Span, recent: Recent | None = None) -> Found:
    """Followed authors' papers in the window (one query, or none given ``recent``)."""
    if not signals.authors:
        return []
    if recent is not None:
        seen = signals.seen
        out: Found = []
        for pid in recent.ids:
            if pid in seen:
                continue
            for author in recent.authors.get(pid, ()):
                if author in signals.authors:
                    out.append((pid, AUTHOR_SCORE, Reason(Why.AUTHOR, signals.authors[author])))
            if len(out) >= AUTHOR_PICKS:
                break
        return out[:AUTHOR_PICKS]
    start = dt.datetime.combine(span.start, dt.time(), tzinfo=dt.UTC)
    links = (
        PaperAuthor.objects.filter(author_id__in=signals.authors, paper__submitted__gte=start)
        .exclude(paper__arxiv_id__in=signals.seen)
        .order_by("-paper__submitted", "-paper_id")
        .values_list("paper__arxiv_id", "author_id")[:AUTHOR_PICKS]
    )
    return [
        (pid, AUTHOR_SCORE, Reason(Why.AUTHOR, signals.authors[author])) for pid, author in links
    ]


def category_picks(signals: Signals, span: Span, recent: Recent | None = None) -> Found:
    """The newest papers of each followed category in the window (one query, or none given
    ``recent``)."""
    if not signals.categories:
        return []
    if recent is not None:
        return _recent_category_picks(signals, recent)
    start = dt.datetime.combine(span.start, dt.time(), tzinfo=dt.UTC)
    links = (
        PaperCategory.objects.filter(
            category_id__in=signals.categories, paper__submitted__gte=start
        )
        .exclude(paper__arxiv_id__in=signals.seen)
        .order_by("-paper__submitted", "-paper_id")
        .values_list("paper__arxiv_id", "category_id")
    )[: CATEGORY_PICKS * len(signals.categories) * 4]
    taken: dict[str, int] = defaultdict(int)
    out = []
    for pid, code in links:
        rank = taken[code]
        if rank >= CATEGORY_PICKS:
            continue
        taken[code] += 1
        out.append((pid, CATEGORY_SCORE - CATEGORY_DECAY * rank, Reason(Why.CATEGORY, code)))
    return out


def _recent_category_picks(signals: Signals, recent: Recent) -> Found:
    seen = signals.seen
    followed = set(signals.categories)
    taken: dict[str, int] = defaultdict(int)
    out: Found = []
    for pid in recent.ids:
        if pid in seen:
            continue
        for code in recent.categories.get(pid, ()):
            if code not in followed or taken[code] >= CATEGORY_PICKS:
                continue
            out.append(
                (pid, CATEGORY_SCORE - CATEGORY_DECAY * taken[code], Reason(Why.CATEGORY, code))
            )
            taken[code] += 1
    return out


def saved_search_request(query_string: str, span: Span) -> SearchRequest:
    """A saved search (the search page's query string) narrowed to the window."""
    wanted = SearchForm(QueryDict(query_string[:1000])).search_request()
    date_from = max(wanted.date_from or span.start, span.start)
    date_to = min(wanted.date_to or span.end, span.end)
    return SearchRequest(
        query=wanted.query,
        categories=wanted.categories,
        date_from=date_from,
        date_to=date_to,
        has_code=wanted.has_code,
        limit=SEARCH_PICKS,
    )


def search_picks(index: SearchIndex | None, signals: Signals, span: Span) -> tuple[Found, bool]:
    """The best few results of each saved search within the window; and whether any needed
    the index when it was unavailable."""
    out: Found = []
    missed = False
    seen = signals.seen
    for query_string, label in signals.searches:
        request = saved_search_request(query_string, span)
        if request.date_from and request.date_to and request.date_from > request.date_to:
            continue  # the saved search's dates end before the window
        reason = Reason(Why.SEARCH, query_string, label or _search_label(request))
        text, _ = clean_query(request.query)
        if text:
            if index is None:
                missed = True
                continue
            found = index.search(
                text,
                Filters(
                    categories=request.categories,
                    date_from=request.date_from,
                    date_to=request.date_to,
                    has_code=request.has_code,
                    exclude=seen,
                ),
                limit=SEARCH_PICKS,
                highlight=False,
            )
            ids = [hit.id for hit in found.hits]
        else:  # filters alone: the newest papers that pass them, from the database
            wide = replace(request, limit=min(SEARCH_PICKS + len(seen), 60))
            ids = [r.paper.arxiv_id for r in search_papers(wide).results]
            ids = [pid for pid in ids if pid not in seen][:SEARCH_PICKS]
        out += [(pid, SEARCH_SCORE - SEARCH_DECAY * rank, reason) for rank, pid in enumerate(ids)]
    return out, missed


def _search_label(request: SearchRequest) -> str:
    parts = [request.query] if request.query else []
    parts += [f"cat:{c}" for c in request.categories]
    if request.has_code:
        parts.append("with code")
    return " ".join(parts) or "all papers"


@dataclass
class ForYou:
    span: Span
    picks: list[Pick]
    total: int
    page: int
    pages: int
    cold: bool  # no signals at all
    index_missing: bool = False  # the index was unavailable: follows alone


def for_you(user: User, span: Span, page: int = 1) -> ForYou:
    """The reader's picks within ``span``, one page of ``PER_PAGE``, each with its paper and
    reasons hydrated (a fixed number of queries, whatever the page holds)."""
    signals = reader_signals(user)
    if signals.is_empty:
        return ForYou(span, [], 0, 1, 1, cold=True)
    index: SearchIndex | None
    try:
        index = open_index()
    except SearchUnavailable:
        index = None
    picks, missed = rank_picks(index, signals, span)
    pages = max(1, -(-len(picks) // PER_PAGE))
    page = min(max(page, 1), pages)
    shown = picks[(page - 1) * PER_PAGE : page * PER_PAGE]
    hydrate(shown)
    shown = [p for p in shown if p.paper is not None]
    return ForYou(
        span, shown, len(picks), page, pages, cold=False, index_missing=index is None or missed
    )


def rank_picks(  # noqa: PLR0917
    index: SearchIndex | None,
    signals: Signals,
    span: Span,
    limit: int = MAX_PICKS,
    dense: int = DENSE_PICKS,
    recent: Recent | None = None,
) -> tuple[list[Pick], bool]:
    """Every source's picks for the reader, merged and ranked, best first, without their
    papers (``hydrate`` adds them); and whether a saved search needed the missing index.
    The For you page and the digests' personal picks both rank with this; given ``recent``
    (the window's papers, loaded once for many readers), the follow sources need no query."""
    sources: Found = []
    if index is not None:
        sources += dense_picks(index, signals, span, k=dense)
    sources += author_picks(signals, span, recent)
    sources += category_picks(signals, span, recent)
    found, missed = search_picks(index, signals, span)
    sources += found
    picks = merge(sources)
    if signals.categories:  # a dense or author pick in a followed category says so too
        _note_categories(picks[:limit], signals, recent)
    return [p for p in picks if p.paper_id not in signals.seen][:limit], missed


def _note_categories(picks: list[Pick], signals: Signals, recent: Recent | None = None) -> None:
    """Add "new in <category>" to picks from other sources in a followed category (one
    query, or none given ``recent``)."""
    ids = [p.paper_id for p in picks if all(r.why != Why.CATEGORY for r in p.reasons)]
    if not ids:
        return
    if recent is not None:
        followed = set(signals.categories)
        by_id = {p.paper_id: p for p in picks}
        for pid in ids:
            for code in recent.categories.get(pid, ()):
                if code in followed:
                    by_id[pid].reasons.append(Reason(Why.CATEGORY, code))
        return
    links = PaperCategory.objects.filter(
        paper__arxiv_id__in=ids, category_id__in=signals.categories
    ).values_list("paper__arxiv_id", "category_id")
    by_id = {p.paper_id: p for p in picks}
    for pid, code in links:
        by_id[pid].reasons.append(Reason(Why.CATEGORY, code))


def hydrate(picks: Sequence[Pick]) -> None:
    """The page's papers and the library papers their reasons name, in one query."""
    wanted = {p.paper_id for p in picks}
    wanted |= {r.value for p in picks for r in p.reasons if r.why == Why.LIKE}
    papers = with_upvotes(Paper.objects.all()).in_bulk(list(wanted), field_name="arxiv_id")
    for pick in picks:
        pick.paper = papers.get(pick.paper_id)
        pick.reasons = [
            Reason(r.why, r.value, r.label, papers.get(r.value)) if r.why == Why.LIKE else r
            for r in pick.reasons
            if r.why != Why.LIKE or r.value in papers
        ]


# --- feedback and first interests ----------------------------------------------------


def give_feedback(user: User, paper: Paper, value: str) -> Feedback | None:
    """Record "more like this" or "not interested" (``more``, ``less``), or take it back
    (``clear``). Returns the feedback that stands."""
    if value == "clear":
        Feedback.objects.filter(user=user, paper=paper).delete()
        return None
    choice = Feedback.Value(value)
    feedback, _ = Feedback.objects.update_or_create(
        user=user, paper=paper, defaults={"value": choice}
    )
    return feedback


def find_authors(text: str, limit: int = 10) -> list[Author]:
    """Authors whose name contains the text (control characters dropped)."""
    name = "".join(ch for ch in text if ch.isprintable()).strip()[:100]
    if len(name) < 2:
        return []
    return list(Author.objects.filter(name__icontains=name).order_by("name")[:limit])
