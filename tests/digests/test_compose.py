"""Composing digests: what an issue holds and in what order, personal picks with reasons,
categories, never the same paper twice, no empty issue, the batched path giving exactly the
one-reader issue, and every reader's issue at their own hour across time zones and DST."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Category, Paper
from dailypapers.digests import compose
from dailypapers.digests.models import OutboxMessage, SentPaper, Subscription
from dailypapers.library.models import Collection, CollectionItem
from dailypapers.search import keeper
from tests.community.helpers import make_entry, make_paper, make_user
from tests.search.test_for_you import GRAPH, LLM, make

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def subscribe(address: str, **fields: Any) -> Subscription:
    fields.setdefault("confirmed_at", timezone.now())
    fields.setdefault("hour", 0)
    return Subscription.objects.create(email=address, **fields)


def parsed(row: OutboxMessage) -> EmailMessage:
    message = email.message_from_bytes(row.wire_bytes(timezone.now()), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def featured(day: dt.date, votes: list[int], **paper: Any) -> list[Paper]:
    papers = []
    for n in votes:
        entry = make_entry(day=day, upvotes=n, **paper)
        papers.append(entry.paper)
    return papers


def test_an_issue_holds_the_days_top_papers_by_votes_then_trending() -> None:
    older = featured(DAY - dt.timedelta(days=3), [50])
    top = featured(DAY - dt.timedelta(days=1), [3, 9, 5])
    sub = subscribe("reader@example.org")
    issue = compose.compose_one(sub, DAY)
    assert issue is not None
    keys = [s.key for s in issue.sections]
    assert keys == ["top", "trending"]
    assert [i.card.pk for i in issue.sections[0].items] == [top[1].pk, top[2].pk, top[0].pk]
    assert [i.card.pk for i in issue.sections[1].items] == [older[0].pk]
    assert top[1].title.split(",")[0] in issue.subject


def test_the_batched_path_gives_exactly_the_one_reader_issue(search_settings: Any) -> None:
    old = {t: make(t, 60, 3) for t in range(6)}
    new = make(GRAPH, 0.5, 4) + make(LLM, 0.5, 4)
    keeper.index_pending()
    today = timezone.now().date()
    for pid in new[:2]:
        make_entry(Paper.objects.get(arxiv_id=pid), day=today, upvotes=2)
    featured(today - dt.timedelta(days=1), [4, 1])
    member = make_user("member")
    library = Collection.objects.create(owner=member, slug="reading-list", name="Reading list")
    for pid in old[GRAPH]:
        CollectionItem.objects.create(collection=library, paper=Paper.objects.get(arxiv_id=pid))
    subs = [
        subscribe("member@example.org", user=member),
        subscribe("anon@example.org"),
        subscribe("weekly@example.org", frequency="weekly", weekday=today.weekday()),
    ]
    cs = Category.objects.get_or_create(code="cs.CL")[0]
    narrow = subscribe("narrow@example.org")
    narrow.categories.add(cs)
    expected = {s.pk: compose.compose_one(s, today) for s in [*subs, narrow]}
    report = compose.compose_due(issue_date=today)
    assert report.composed == sum(1 for i in expected.values() if i is not None)
    rows = {r.subscription_id: r for r in OutboxMessage.objects.filter(kind="digest")}
    for pk, issue in expected.items():
        if issue is None:
            assert pk not in rows
            continue
        message = parsed(rows[pk])
        assert message["Subject"] == issue.subject
        assert text_of(message).strip() == issue.text.strip()
        assert html_of(message).strip() == issue.html.strip()
    member_issue = expected[subs[0].pk]
    assert member_issue is not None
    picks = [s for s in member_issue.sections if s.key == "picks"]
    assert picks and all("in your papers" in i.reason for i in picks[0].items)
    assert all(i.card.title.startswith("Graph") for i in picks[0].items)
    anon = expected[subs[1].pk]
    assert anon is not None and all(s.key != "picks" for s in anon.sections)
    narrowed = expected[narrow.pk]
    assert narrowed is None or all(
        "cs.CL" in i.card.categories for s in narrowed.sections for i in s.items
    )


def test_never_the_same_paper_twice_and_no_empty_issue() -> None:
    papers = featured(DAY - dt.timedelta(days=1), [5, 4])
    sub = subscribe("reader@example.org")
    assert compose.compose_due(issue_date=DAY).composed == 1
    assert set(SentPaper.objects.values_list("paper_id", flat=True)) == {p.pk for p in papers}
    sub.refresh_from_db()
    assert sub.last_issue_date == DAY
    # The next day covers DAY too, and trending still holds them: nothing new, no mail.
    nxt = DAY + dt.timedelta(days=1)
    report = compose.compose_due(issue_date=nxt)
    assert (report.composed, report.empty) == (0, 1)
    assert compose.compose_one(sub, nxt) is None
    fresh = featured(nxt, [1])
    assert compose.compose_due(issue_date=nxt).composed == 1
    row = OutboxMessage.objects.get(issue_date=nxt)
    assert row.paper_count == 1
    assert fresh[0].title.split(",")[0] in text_of(parsed(row))
    # Composing the same date again adds nothing: one row per subscription and issue date.
    assert compose.compose_due(issue_date=nxt).composed == 0
    assert OutboxMessage.objects.filter(subscription=sub).count() == 2


def test_categories_narrow_the_issue() -> None:
    featured(DAY - dt.timedelta(days=1), [9], categories=["astro-ph.CO"])
    wanted = featured(DAY - dt.timedelta(days=1), [1], categories=["cs.CL", "cs.LG"])
    sub = subscribe("reader@example.org")
    sub.categories.add(Category.objects.get_or_create(code="cs.CL")[0])
    issue = compose.compose_one(sub, DAY)
    assert issue is not None and issue.papers == [wanted[0].pk]
    sub.categories.set([Category.objects.get_or_create(code="q-bio.NC")[0]])
    assert compose.compose_one(sub, DAY) is None


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcs += [v or "" for k, v in attrs if k == "src"]


def test_the_mail_is_readable_math_as_text_links_home_and_to_arxiv(settings: Any) -> None:
    settings.SITE_URL = "https://papers.example.org"
    paper = make_paper(
        title=r"Bounds for $\alpha$-stable laws in $\mathbb{R}^d$ <script>alert(1)</script>",
        abstract=r"We show $O(n^2)$ steps suffice for M\"uller's problem.",
    )
    make_entry(paper, day=DAY - dt.timedelta(days=1), upvotes=3)
    sub = subscribe("reader@example.org", time_zone="Pacific/Auckland")
    compose.compose_due(issue_date=DAY)
    row = OutboxMessage.objects.get()
    message = parsed(row)
    text, html = text_of(message), html_of(message)
    assert "Bounds for \u03b1-stable laws in \u211d^d" in text
    assert "O(n^2) steps suffice for Müller's problem" in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f"https://papers.example.org/papers/{paper.arxiv_id}" in html
    assert f"https://arxiv.org/abs/{paper.arxiv_id}" in text
    tags = _Tags()
    tags.feed(html)
    assert "table" in tags.tags and "script" not in tags.tags and "img" not in tags.tags
    assert not tags.srcs
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (x.strip(" <>") for x in message["List-Unsubscribe"].split(","))
    assert https.startswith("https://papers.example.org/digest/unsubscribe/")
    assert mailto.startswith("mailto:unsubscribe@")
    assert message["Message-ID"].strip("<>") == row.message_id
    assert message["Date"].endswith(("+1300", "+1200"))
    assert message["To"] == sub.email


def test_the_mail_keeps_bare_ampersands_percents_and_hashes_beside_tex() -> None:
    """TeX reads a bare ``&``, ``%``, ``#`` as an alignment, a comment, a parameter: the mail
    used to drop them (and all after a ``%``) in a title or abstract with TeX in it."""
    make_entry(
        make_paper(
            title=r"Q&A for $\alpha$-models in C# \textbf{fast}",
            abstract=r"We cut 50% of the cost of $O(n)$ steps; \texttt{code} & data at #1.",
        ),
        day=DAY - dt.timedelta(days=1),
        upvotes=3,
    )
    subscribe("reader@example.org")
    compose.compose_due(issue_date=DAY)
    message = parsed(OutboxMessage.objects.get())
    text, html = text_of(message), html_of(message)
    assert "Q&A for \u03b1-models in C# fast" in text
    assert "We cut 50% of the cost of O(n) steps; code & data at #1." in text
    assert "Q&amp;A for \u03b1-models in C# fast" in html
    assert "\\textbf" not in text and "\\texttt" not in text


@pytest.mark.parametrize(
    ("start", "zone_changes"),
    [
        # New Zealand leaves daylight time on 5 April 2026 (03:00 NZDT -> 02:00 NZST)
        (dt.datetime(2026, 4, 3, 0, 0, tzinfo=dt.UTC), "Pacific/Auckland"),
        # and enters it on 27 September 2026 (02:00 NZST -> 03:00 NZDT)
        (dt.datetime(2026, 9, 25, 0, 0, tzinfo=dt.UTC), "Pacific/Auckland"),
    ],
)
def test_each_reader_gets_theirs_at_their_own_hour_once_across_dst(
    start: dt.datetime, zone_changes: str
) -> None:
    readers = {
        "honolulu": subscribe("hnl@example.org", time_zone="Pacific/Honolulu", hour=7),
        "utc": subscribe("utc@example.org", time_zone="UTC", hour=7),
        "auckland": subscribe("akl@example.org", time_zone=zone_changes, hour=7),
        "auckland-2am": subscribe("akl2@example.org", time_zone=zone_changes, hour=2),
    }
    for sub in readers.values():
        sub.last_issue_date = start.astimezone(sub.zone).date()
        sub.save()
    ticks = [start + dt.timedelta(minutes=10 * i) for i in range(6 * 24 * 4)]
    seen: dict[int, list[tuple[dt.date, dt.datetime]]] = {s.pk: [] for s in readers.values()}
    known: set[int] = set()
    for tick in ticks:
        if tick.minute == 0 and tick.hour == 0:  # something new every UTC day
            featured(tick.date() - dt.timedelta(days=1), [1, 1])
            featured(tick.date(), [1])
            featured(tick.date() + dt.timedelta(days=1), [1])
        compose.compose_due(now=tick)
        for row in OutboxMessage.objects.exclude(pk__in=known):
            known.add(row.pk)
            assert row.subscription_id is not None and row.issue_date is not None
            seen[row.subscription_id].append((row.issue_date, tick))
    for name, sub in readers.items():
        got = seen[sub.pk]
        dates = [d for d, _ in got]
        assert len(dates) == len(set(dates)), (name, dates)  # once a local day
        assert len(dates) >= 3, (name, dates)
        for day, tick in got:
            local = tick.astimezone(sub.zone)
            assert local.date() == day, (name, day, local)
            # at the first tick at or after the reader's hour
            assert local.hour >= sub.hour, (name, local)
            earlier = (tick - dt.timedelta(minutes=10)).astimezone(sub.zone)
            assert earlier.date() != day or earlier.hour < sub.hour, (name, local, earlier)


def test_the_follow_sources_give_the_same_picks_from_the_windows_papers(
    search_settings: Any,
) -> None:
    """Digests rank many readers over one window from its papers loaded once; the For you
    page asks the database for each. Both give the same picks for the same reasons."""
    from dailypapers.catalog.models import Author
    from dailypapers.library.models import Follow
    from dailypapers.search import foryou

    old = {t: make(t, 60, 3) for t in range(6)}
    make(GRAPH, 0.5, 5, authors=["Grace Hopper", "Ada Lovelace"])
    make(LLM, 0.5, 14, categories=["cs.CL", "cs.LG"])
    make(LLM, 3, 4)
    keeper.index_pending()
    member = make_user("member")
    library = Collection.objects.create(owner=member, slug="reading-list", name="Reading list")
    for pid in old[GRAPH]:
        CollectionItem.objects.create(collection=library, paper=Paper.objects.get(arxiv_id=pid))
    Follow.objects.create(
        user=member, kind="author", author=Author.objects.get(name="Grace Hopper")
    )
    for code in ("cs.CL", "cs.LG"):
        category = Category.objects.get_or_create(code=code)[0]
        Follow.objects.create(user=member, kind="category", category=category)
    signals = foryou.reader_signals(member)
    span = compose.span_of("weekly", timezone.now().date())
    index = compose._index()
    by_query, _ = foryou.rank_picks(index, signals, span)
    by_window, _ = foryou.rank_picks(index, signals, span, recent=foryou.recent_papers(span))

    def seen(picks: list[foryou.Pick]) -> list[tuple[str, set[tuple[str, str]]]]:
        return [(p.paper_id, {(r.why, r.value) for r in p.reasons}) for p in picks]

    assert by_window and seen(by_window) == seen(by_query)
    whys = {r.why for p in by_window for r in p.reasons}
    assert {foryou.Why.AUTHOR, foryou.Why.CATEGORY, foryou.Why.LIKE} <= whys


@pytest.mark.django_db(transaction=True)
def test_several_processes_compose_each_reader_once(monkeypatch: Any) -> None:
    """``workers`` processes share the chunks; on SQLite in memory (the test database) they
    could not see it, so one process composes."""
    from django.db import connection

    monkeypatch.setattr(compose, "CHUNK", 7)
    featured(DAY - dt.timedelta(days=1), [5, 3, 1])
    subs = [subscribe(f"r{i}@example.org") for i in range(40)]
    report = compose.compose_due(issue_date=DAY, workers=2)
    assert (report.readers, report.composed, report.empty) == (40, 40, 0)
    rows = OutboxMessage.objects.filter(kind="digest", issue_date=DAY)
    assert sorted(rows.values_list("subscription_id", flat=True)) == sorted(s.pk for s in subs)
    assert SentPaper.objects.count() == 40 * 3
    assert compose._shared_database() is (connection.vendor != "sqlite")
    again = compose.compose_due(issue_date=DAY, workers=2)
    assert (again.readers, again.composed) == (0, 0)
