"""The "For you" page: picks ranked from the reader's library and follows, each with its
reason; feedback; the window; the first visit; hostile input; a bounded number of queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.catalog.models import Author, Category, Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_papers
from dailypapers.community.models import Vote
from dailypapers.library.models import (
    Collection,
    CollectionItem,
    Feedback,
    Follow,
    ReaderState,
    ReadMark,
)
from dailypapers.search import foryou, keeper
from dailypapers.search.holder import HOLDER
from tests.community.helpers import make_entry, make_user
from tests.fixtures import TOPICS
from tests.sources.conftest import loopback, sources  # noqa: F401 (fixtures)
from tests.sources.sources_loopback import ATOM, Reply, fixture

pytestmark = pytest.mark.django_db

GRAPH, DIFFUSION, LLM, GALAXY, QUANTUM, ROBOT = range(6)
_numbers = iter(range(30_000, 99_999))


def make(topic: int, days_ago: float, n: int = 1, **overrides: Any) -> list[str]:
    """``n`` papers on a topic, submitted ``days_ago`` days before now."""
    title, category = TOPICS[topic]
    records = []
    for _ in range(n):
        i = next(_numbers)
        values: dict[str, Any] = {
            "arxiv_id": f"2501.{i:05d}",
            "version": 1,
            "title": f"{title}, part {i}",
            "abstract": f"We study {title.lower()}. Variant {i} improves on earlier work.",
            "authors": ["Ada Lovelace"],
            "categories": [category],
            "submitted": timezone.now() - timedelta(days=days_ago),
        }
        values.update(overrides)
        records.append(PaperRecord(**values))
    upsert_papers(records, source="test")
    return [r.arxiv_id for r in records]


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache: None) -> None:
    """Rate-limit counts start from zero in every test."""


@pytest.fixture
def library(search_settings: Any) -> dict[int, list[str]]:
    """Old papers of every topic (the reader's library is made of them) and new ones: six a
    topic two days old, two a topic twenty days old; indexed and embedded."""
    old = {t: make(t, 60, 3) for t in range(6)}
    for t in range(6):
        make(t, 2, 6)
        make(t, 20, 2)
    keeper.index_pending()
    return old


@pytest.fixture
def reader(db: Any) -> Any:
    return make_user("reader")


def save(user: Any, ids: list[str], name: str = "Reading list", **item: Any) -> None:
    collection, _ = Collection.objects.get_or_create(
        owner=user, slug=name.lower().replace(" ", "-"), defaults={"name": name}
    )
    for pid in ids:
        CollectionItem.objects.create(
            collection=collection, paper=Paper.objects.get(arxiv_id=pid), **item
        )


def topic(pid: str) -> int:
    title = Paper.objects.get(arxiv_id=pid).title
    return next(i for i, (t, _) in enumerate(TOPICS) if title.startswith(t))


def picks(client: Any, **params: Any) -> list[foryou.Pick]:
    page = client.get("/for-you", params)
    assert page.status_code == 200
    return list(page.context["result"].picks)


def all_picks(client: Any, **params: Any) -> list[foryou.Pick]:
    out: list[foryou.Pick] = []
    number = 1
    while True:
        page = client.get("/for-you", {**params, "page": number})
        result = page.context["result"]
        out += result.picks
        if number >= result.pages:
            return out
        number += 1


def feedback(client: Any, pid: str, value: str, **headers: Any) -> Any:
    paper = Paper.objects.get(arxiv_id=pid)
    return client.post("/for-you/feedback", {"paper": paper.pk, "value": value}, **headers)


# --- ranking and reasons ---------------------------------------------------------------


def test_picks_follow_the_library_and_say_which_paper_they_are_like(client, library, reader):
    save(reader, library[QUANTUM])
    client.force_login(reader)
    page = client.get("/for-you", {"window": "7"})
    found = page.context["result"].picks
    assert [topic(p.paper_id) for p in found[:6]] == [QUANTUM] * 6
    html = page.content.decode()
    for pick in found:
        like = [r for r in pick.reasons if r.why == foryou.Why.LIKE]
        assert like and like[0].value in library[QUANTUM]
        assert like[0].paper is not None
    first = found[0].reasons[0].paper
    assert f'Like <a href="/papers/{first.arxiv_id}"' in html
    assert first.title in html


def test_every_interest_of_the_library_is_served(client, library, reader):
    save(reader, library[QUANTUM] + library[GALAXY])
    for pid in library[ROBOT]:
        Vote.objects.create(user=reader, paper=Paper.objects.get(arxiv_id=pid))
    client.force_login(reader)
    top = {topic(p.paper_id) for p in picks(client, window="7")[:18]}  # six new a topic
    assert top == {QUANTUM, GALAXY, ROBOT}  # saved and upvoted papers both count


def test_read_papers_count_for_less_than_saved_ones(client, library, reader):
    save(reader, library[QUANTUM][:1])
    for pid in library[GALAXY][:1]:
        ReadMark.objects.create(user=reader, paper=Paper.objects.get(arxiv_id=pid))
    client.force_login(reader)
    found = picks(client, window="7")
    assert topic(found[0].paper_id) == QUANTUM
    assert found[0].score > max(p.score for p in found if topic(p.paper_id) == GALAXY)


def test_follows_bring_their_picks_with_their_reasons(client, library, reader):
    by_barbara = make(ROBOT, 1, 2, authors=["Barbara Liskov", "Ada Lovelace"])
    keeper.index_pending()
    barbara = Author.objects.get(name="Barbara Liskov")
    Follow.objects.create(user=reader, kind=Follow.Kind.AUTHOR, author=barbara)
    Follow.objects.create(user=reader, kind=Follow.Kind.CATEGORY, category_id="astro-ph.CO")
    Follow.objects.create(user=reader, kind=Follow.Kind.SEARCH, query="q=diffusion+image")
    Follow.objects.create(
        user=reader, kind=Follow.Kind.SEARCH, query="q=author:liskov&cat=cs.RO", label="Robots"
    )
    client.force_login(reader)
    page = client.get("/for-you", {"window": "7"})
    found = {p.paper_id: p for p in page.context["result"].picks}
    html = page.content.decode()
    for pid in by_barbara:
        whys = {r.why: r for r in found[pid].reasons}
        assert whys[foryou.Why.AUTHOR].value == "Barbara Liskov"
        assert whys[foryou.Why.SEARCH].label == "Robots"  # a pick from two sources keeps both
    barbara = '<a href="/authors/by-name?name=Barbara%20Liskov"><bdi>Barbara Liskov</bdi></a>'
    assert f"By {barbara}" in html
    assert "Matches your saved search" in html and "<q><bdi>Robots</bdi></q>" in html
    assert "<q><bdi>diffusion image</bdi></q>" in html
    new_in = [p for p in found.values() if any(r.why == foryou.Why.CATEGORY for r in p.reasons)]
    assert new_in and all(topic(p.paper_id) == GALAXY for p in new_in)
    assert 'New in <a href="/categories/astro-ph.CO">astro-ph.CO</a>' in html
    assert "Save to your reading list" in html  # every pick can be saved, like every card
    diffusion = [p for p in found.values() if topic(p.paper_id) == DIFFUSION]
    assert 0 < len(diffusion) <= foryou.SEARCH_PICKS
    # the two-source picks rank above the one-source ones
    order = list(found)
    assert {order[0], order[1]} == set(by_barbara)


def test_read_saved_and_dismissed_papers_never_appear(client, library, reader):
    save(reader, library[QUANTUM])
    fresh_quantum = [p.paper_id for p in picks(reader_client(client, reader), window="30")]
    read, kept, dismissed = fresh_quantum[0], fresh_quantum[1], fresh_quantum[2]
    ReadMark.objects.create(user=reader, paper=Paper.objects.get(arxiv_id=read))
    save(reader, [kept], name="Later")
    assert feedback(client, dismissed, "less").status_code == 302
    # the dismissed paper is by a followed author and in a followed category too
    author = Paper.objects.get(arxiv_id=dismissed).authors.get()
    Follow.objects.create(user=reader, kind=Follow.Kind.AUTHOR, author=author)
    Follow.objects.create(user=reader, kind=Follow.Kind.CATEGORY, category_id="quant-ph")
    Follow.objects.create(user=reader, kind=Follow.Kind.SEARCH, query="q=quantum")
    shown = {p.paper_id for p in all_picks(client, window="30")}
    assert shown, "the other papers are still picked"
    assert not {read, kept, dismissed} & shown
    assert not set(library[QUANTUM]) & shown


def reader_client(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_feedback_changes_the_next_picks(client, library, reader):
    save(reader, library[QUANTUM] + library[GALAXY])
    client.force_login(reader)
    before = picks(client, window="7")
    galaxy_before = [p.paper_id for p in before[:8] if topic(p.paper_id) == GALAXY]
    assert len(galaxy_before) >= 3
    for pid in galaxy_before[:3]:
        feedback(client, pid, "less")
    after = picks(client, window="7")
    assert not set(galaxy_before[:3]) & {p.paper_id for p in after}
    galaxy_after = [p for p in after[:8] if topic(p.paper_id) == GALAXY]
    assert len(galaxy_after) < len(galaxy_before), "papers near dismissed ones rank lower"

    assert not any(topic(p.paper_id) == ROBOT for p in after)
    robot = make(ROBOT, 3)[0]
    keeper.index_pending()
    assert feedback(client, robot, "more").status_code == 302
    more = picks(client, window="7")
    robots = [p for p in more if topic(p.paper_id) == ROBOT]
    assert robots, "more like this brings the paper's neighbours"
    assert any(r.value == robot for p in robots for r in p.reasons)
    assert robot not in {p.paper_id for p in more}
    for pick in more:  # the heavy paper is not given as the reason for papers unlike it
        like = next(r.value for r in pick.reasons if r.why == foryou.Why.LIKE)
        if topic(pick.paper_id) in {QUANTUM, GALAXY, ROBOT}:
            assert topic(like) == topic(pick.paper_id)

    # taken back: the dismissed papers may come back
    for pid in galaxy_before[:3]:
        feedback(client, pid, "clear")
    assert galaxy_before[0] in {p.paper_id for p in all_picks(client, window="7")}


def test_more_like_this_on_one_interest_keeps_the_others_on_the_page(client, library, reader):
    save(reader, library[GALAXY])
    for pid in library[QUANTUM]:  # read only: a light interest, but one
        ReadMark.objects.create(user=reader, paper=Paper.objects.get(arxiv_id=pid))
    client.force_login(reader)
    galaxy = next(p.paper_id for p in picks(client, window="7") if topic(p.paper_id) == GALAXY)
    feedback(client, galaxy, "more")
    top = [topic(p.paper_id) for p in picks(client, window="7")[:10]]
    assert top.count(QUANTUM) >= 2 and top.count(GALAXY) >= 4


def test_a_pick_is_explained_by_the_library_paper_it_is_most_like(client, library, reader):
    for pid in library[QUANTUM]:  # read: the lightest signal
        ReadMark.objects.create(user=reader, paper=Paper.objects.get(arxiv_id=pid))
    heavy = make(ROBOT, 40)[0]
    keeper.index_pending()
    feedback(reader_client(client, reader), heavy, "more")  # the heaviest paper of all
    found = picks(client, window="7")
    quantum = [p for p in found if topic(p.paper_id) == QUANTUM]
    assert len(quantum) == 6
    for pick in quantum:
        assert next(r.value for r in pick.reasons if r.why == foryou.Why.LIKE) in library[QUANTUM]


def test_feedback_through_htmx_swaps_the_card(client, library, reader):
    save(reader, library[QUANTUM])
    client.force_login(reader)
    first, second = (p.paper_id for p in picks(client, window="7")[:2])
    gone = feedback(client, first, "less", HTTP_HX_REQUEST="true")
    assert gone.status_code == 200
    html = gone.content.decode()
    assert 'class="pick-hidden"' in html and "will not come back" in html
    assert Feedback.objects.get(user=reader).value == "less"
    noted = feedback(client, second, "more", HTTP_HX_REQUEST="true").content.decode()
    assert "More like this from your next visit" in noted and 'value="clear"' in noted
    assert "csrfmiddlewaretoken" in noted


# --- the window and the visits -------------------------------------------------------


def test_the_window_filters_the_picks(client, search_settings, reader):
    # "today" is a UTC day: a paper from a few minutes ago is yesterday's just after midnight
    now = timezone.now().astimezone(UTC)
    since_midnight = (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    today = make(QUANTUM, min(0.01, since_midnight / 2 / 86400), 2)
    days = make(QUANTUM, 3, 2)
    weeks = make(QUANTUM, 20, 2)
    mine = make(QUANTUM, 90, 2)
    keeper.index_pending()
    save(reader, mine)
    client.force_login(reader)
    assert {p.paper_id for p in picks(client, window="1")} == set(today)
    assert {p.paper_id for p in picks(client, window="7")} == set(today + days)
    assert {p.paper_id for p in picks(client, window="30")} == set(today + days + weeks)
    # since the last visit, four days ago: the default
    ReaderState.objects.filter(user=reader).update(
        for_you_seen_at=timezone.now() - timedelta(days=4)
    )
    page = client.get("/for-you")
    assert page.context["span"].window == foryou.Window.SINCE
    assert {p.paper_id for p in page.context["result"].picks} == set(today + days)
    assert "New since your last visit" in page.content.decode()


def test_visits_move_on_full_views_half_an_hour_apart(client, search_settings, reader):
    client.force_login(reader)
    client.get("/for-you")
    state = ReaderState.objects.get(user=reader)
    assert state.for_you_seen_at is not None and state.for_you_previous_at is None
    first = state.for_you_seen_at
    client.get("/for-you")  # a reload
    client.get("/for-you", {"page": 2}, HTTP_HX_REQUEST="true")
    state.refresh_from_db()
    assert (state.for_you_seen_at, state.for_you_previous_at) == (first, None)
    earlier = first - timedelta(hours=2)
    ReaderState.objects.filter(user=reader).update(for_you_seen_at=earlier)
    page = client.get("/for-you")
    state.refresh_from_db()
    assert state.for_you_previous_at == earlier and state.for_you_seen_at > first
    assert page.context["span"].window == foryou.Window.SINCE
    # a last visit over 30 days ago: the last 7 days instead
    ReaderState.objects.filter(user=reader).update(
        for_you_seen_at=timezone.now() - timedelta(days=45)
    )
    assert client.get("/for-you").context["span"].window == foryou.Window.WEEK


def test_choose_window() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert foryou.choose_window("", None, now).window == foryou.Window.WEEK
    assert foryou.choose_window("since", None, now).window == foryou.Window.WEEK
    span = foryou.choose_window("", now - timedelta(days=2, hours=13), now)
    assert (span.window, span.start.isoformat()) == ("since", "2026-03-07")
    assert foryou.choose_window("1", None, now).start == now.date()
    assert foryou.choose_window("30", None, now).start.isoformat() == "2026-02-09"
    assert foryou.choose_window("bogus", None, now).window == foryou.Window.WEEK


# --- the first visit -----------------------------------------------------------------


def test_a_reader_without_signals_sees_trending_and_is_asked_for_interests(
    client, search_settings, reader, settings
):
    settings.FETCH_MISSING_PAPERS = False
    entry = make_entry(title="A trending paper about graphs")
    client.force_login(reader)
    page = client.get("/for-you")
    html = page.content.decode()
    assert page.context["result"].cold
    assert "Until then, here is what is trending" in html
    assert "A trending paper about graphs" in html
    assert 'action="/for-you/papers"' in html and 'action="/for-you/follow"' in html

    known = make(QUANTUM, 50)[0]
    made = client.post(
        "/for-you/papers",
        {"ids": f"https://arxiv.org/abs/{known}v2\n2501.99998, not-an-id"},
        follow=True,
    )
    text = made.content.decode()
    assert "Saved 1 paper to your reading list." in text
    assert "2501.99998" in text and "Not found in the catalogue" in text
    assert "is not an arXiv id" in text
    item = CollectionItem.objects.get(collection__owner=reader)
    assert item.paper.arxiv_id == known and item.collection.is_reading_list
    assert not client.get("/for-you").context["result"].cold
    # the same paper again
    again = client.post("/for-you/papers", {"ids": known}, follow=True)
    assert "already on your reading list" in again.content.decode()
    assert entry.paper.arxiv_id  # trending stays reachable from the page's header


def test_papers_the_catalogue_lacks_are_fetched_from_arxiv(
    client,
    search_settings,
    reader,
    sources,  # noqa: F811
):
    sources.reply("/api/query", Reply(200, fixture("api_ids.xml"), ATOM))
    client.force_login(reader)
    made = client.post("/for-you/papers", {"ids": "arXiv:2501.01234v1"}, follow=True)
    assert "Saved 1 paper to your reading list." in made.content.decode()
    assert sources.requests_to("/api/query")[0].query["id_list"] == "2501.01234"
    item = CollectionItem.objects.get(collection__owner=reader)
    assert item.paper.author_names == ["Ana García", "Wei Zhang"]
    sources.reply("/api/query", Reply(503, b"down", ATOM), Reply(503, b"down", ATOM))
    down = client.post("/for-you/papers", {"ids": "2502.00001"}, follow=True)
    assert "arXiv could not be reached for 2502.00001" in down.content.decode()
    assert CollectionItem.objects.count() == 1


def test_adding_papers_is_rate_limited(client, search_settings, reader, settings):
    settings.RATE_SUBMIT = "2/h"
    client.force_login(reader)
    for _ in range(2):
        assert client.post("/for-you/papers", {"ids": "junk"}).status_code == 302
    refused = client.post("/for-you/papers", {"ids": "junk"})
    assert refused.status_code == 429 and b"at most 2 per hour" in refused.content


def test_authors_are_found_by_name_and_followed(client, search_settings, reader):
    make(ROBOT, 1, authors=["Grace Hopper"])
    client.force_login(reader)
    found = client.get("/for-you", {"author": "hopp"}).content.decode()
    hopper = Author.objects.get(name="Grace Hopper")
    assert "Grace Hopper" in found and f'name="author" value="{hopper.pk}"' in found
    assert "name contains <q>zzz</q>" in client.get("/for-you", {"author": "zzz"}).content.decode()
    client.post("/for-you/follow", {"author": hopper.pk})
    client.post("/for-you/follow", {"category": "cs.RO"})
    kinds = set(Follow.objects.filter(user=reader).values_list("kind", flat=True))
    assert kinds == {"author", "category"}
    result = client.get("/for-you").context["result"]
    assert not result.cold and len(result.picks) == 1
    assert {r.why for r in result.picks[0].reasons} == {"author", "category"}


def test_visitors_are_told_what_the_page_does(client, library):
    page = client.get("/for-you")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Log in" in html and "/accounts/login/?next=/for-you" in html
    assert "For you</a>" not in html.split("<main", 1)[0]  # no header link for visitors
    paper = Paper.objects.first()
    refused = client.post("/for-you/feedback", {"paper": paper.pk, "value": "less"})
    assert refused.status_code == 302 and "/accounts/login/" in refused["Location"]
    assert not Feedback.objects.exists()


def test_signed_in_readers_have_the_link_in_the_header(client, search_settings, reader):
    client.force_login(reader)
    header = client.get("/").content.decode().split("<main", 1)[0]
    assert 'href="/for-you"' in header


# --- hostile input and GET -------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"paper": "abc", "value": "less"},
        {"paper": "1\x00", "value": "less"},
        {"paper": "9" * 5000, "value": "less"},
        {"paper": "-3", "value": "less"},
        {"paper": "1", "value": "\x00"},
        {"paper": "1", "value": "<script>alert(1)</script>"},
        {"paper": "1", "value": "less", "next": "x" * 5000},
        {"value": "less"},
    ],
)
def test_hostile_feedback_is_refused_clearly(client, reader, search_settings, data):
    client.force_login(reader)
    page = client.post("/for-you/feedback", data)
    assert page.status_code == 400
    assert b"could not be read" in page.content or b"NUL character" in page.content
    assert b"<script>alert" not in page.content
    assert not Feedback.objects.exists()


def test_feedback_on_a_paper_that_does_not_exist_is_404(client, reader, search_settings):
    client.force_login(reader)
    assert client.post("/for-you/feedback", {"paper": 987654, "value": "more"}).status_code == 404


def test_feedback_goes_back_only_to_this_site(client, reader, library):
    client.force_login(reader)
    paper = Paper.objects.first()
    page = client.post(
        "/for-you/feedback", {"paper": paper.pk, "value": "more", "next": "https://evil.example/"}
    )
    assert page.status_code == 302 and page["Location"] == "/for-you"


@pytest.mark.parametrize(
    "case",
    [
        ("/for-you/papers", {"ids": "2501.00001\x00"}, 400),
        ("/for-you/papers", {"ids": "2501.00001 " * 600}, 400),
        ("/for-you/papers", {"ids": " ".join(f"2501.{n:05d}" for n in range(1, 30))}, 400),
        ("/for-you/papers", {}, 400),
        ("/for-you/follow", {"author": "x"}, 400),
        ("/for-you/follow", {"author": "1\x00"}, 400),
        ("/for-you/follow", {"category": "\x00"}, 400),
        ("/for-you/follow", {"category": "c" * 500}, 400),
        ("/for-you/follow", {"category": "not.a-category"}, 400),
        ("/for-you/follow", {}, 400),
        ("/for-you/follow", {"author": "1", "category": "cs.LG"}, 400),
        ("/for-you/follow", {"author": "99999999"}, 404),
    ],
)
def test_hostile_first_interests_are_refused_clearly(client, reader, search_settings, case):
    url, data, status = case
    client.force_login(reader)
    page = client.post(url, data)
    assert page.status_code == status
    assert not Follow.objects.exists() and not CollectionItem.objects.exists()


def test_hostile_query_strings_still_give_the_page(client, library, reader):
    save(reader, library[QUANTUM])
    Follow.objects.create(
        user=reader, kind=Follow.Kind.SEARCH, query="q=%00quantum&date_from=bogus&cat=%3Cb%3E"
    )
    client.force_login(reader)
    for params in (
        {"window": "\x00", "page": "abc", "author": "\x00<b>x</b>"},
        {"window": "9" * 500, "page": "9" * 500, "author": "a" * 5000},
        {"page": "-1"},
    ):
        page = client.get("/for-you", params)
        assert page.status_code == 200
        assert b"<b>x</b>" not in page.content


def test_get_never_changes_what_the_reader_said(client, library, reader):
    save(reader, library[QUANTUM])
    client.force_login(reader)
    before = (Feedback.objects.count(), Follow.objects.count(), CollectionItem.objects.count())
    paper = Paper.objects.first()
    for url in ("/for-you/feedback", "/for-you/papers", "/for-you/follow"):
        assert client.get(url, {"paper": paper.pk, "value": "less"}).status_code == 405
    client.get("/for-you", {"paper": paper.pk, "value": "less", "author": "Ada"})
    after = (Feedback.objects.count(), Follow.objects.count(), CollectionItem.objects.count())
    assert before == after


# --- what it costs and what it does without the index --------------------------------


def test_the_page_makes_as_many_queries_for_thirty_picks_as_for_twelve(
    client, search_settings, reader
):
    mine = make(GALAXY, 90, 2)
    make(GALAXY, 1, 12)
    keeper.index_pending()
    save(reader, mine)
    by = Author.objects.get(name="Ada Lovelace")
    Follow.objects.create(user=reader, kind=Follow.Kind.AUTHOR, author=by)
    Follow.objects.create(user=reader, kind=Follow.Kind.CATEGORY, category_id="astro-ph.CO")
    Follow.objects.create(user=reader, kind=Follow.Kind.SEARCH, query="q=galaxy")
    client.force_login(reader)
    client.get("/for-you")  # the visit is recorded; the session is warm

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/for-you", {"window": "7"})
        return len(queries), len(page.context["result"].picks)

    few, shown = count()
    assert shown == 12
    make(GALAXY, 1, 40)
    keeper.index_pending()
    many, shown = count()
    assert shown == foryou.PER_PAGE
    assert many == few, "no query per card"
    assert many <= 20


def test_without_the_index_follows_still_bring_picks(client, library, reader):
    save(reader, library[QUANTUM])
    by = make(ROBOT, 1, authors=["Barbara Liskov"])[0]
    Follow.objects.create(
        user=reader, kind=Follow.Kind.AUTHOR, author=Author.objects.get(name="Barbara Liskov")
    )
    Follow.objects.create(user=reader, kind=Follow.Kind.SEARCH, query="q=quantum")
    path = HOLDER.index().path / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format": 1}))
    HOLDER.forget()
    client.force_login(reader)
    page = client.get("/for-you", {"window": "7"})
    assert page.status_code == 200
    assert [p.paper_id for p in page.context["result"].picks] == [by]
    assert "Meaning-based picks are unavailable" in page.content.decode()


def test_papers_not_yet_embedded_are_not_dense_picks(client, search_settings, reader):
    mine = make(QUANTUM, 90, 2)
    embedded = make(QUANTUM, 1, 2)
    keeper.index_pending()
    waiting = make(QUANTUM, 1, 2)
    keeper.index_pending(embed_seconds=0)
    save(reader, mine)
    client.force_login(reader)
    assert {p.paper_id for p in picks(client, window="7")} == set(embedded)
    assert waiting


def test_categories_are_offered_from_the_catalogue(client, search_settings, reader):
    make(QUANTUM, 1)
    client.force_login(reader)
    html = client.get("/for-you").content.decode()
    for code in Category.objects.values_list("code", flat=True):
        assert f'<option value="{code}">' in html


def test_merge_keeps_every_reason_and_scores_by_the_best_source() -> None:
    like = foryou.Reason(foryou.Why.LIKE, "2501.00001")
    by = foryou.Reason(foryou.Why.AUTHOR, "Ada Lovelace")
    new_in = foryou.Reason(foryou.Why.CATEGORY, "cs.LG")
    merged = foryou.merge(
        [
            ("2501.00003", 0.5, like),
            ("2501.00002", 0.4, new_in),
            ("2501.00004", 0.5, like),  # ties keep the order the sources gave
            ("2501.00002", 0.9, by),
        ]
    )
    assert [p.paper_id for p in merged] == ["2501.00002", "2501.00003", "2501.00004"]
    assert merged[0].score == pytest.approx(0.9 + foryou.OTHERS_SHARE * 0.4)
    assert [r.why for r in merged[0].reasons] == ["author", "category"]
