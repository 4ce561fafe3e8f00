# ruff: noqa: F811 (the data fixture, imported, is each test's argument)
"""/api/v1 reads: every endpoint with data, cursor paging across inserts, conditional
requests, CORS, the rate limit, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.v1_data import DAY, v1_data  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def ids_of(body):
    return [item["paper"]["id"] if "paper" in item else item["id"] for item in body["items"]]


def walk(client, url, **params):
    """Every page of a list: the items in order, and each page's answer."""
    seen, answers, cursor = [], [], None
    while True:
        answer = client.get(url, {**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.content
        answers.append(answer)
        body = answer.json()
        seen += ids_of(body)
        cursor = body["next"]
        if cursor is None:
            assert "Link" not in answer
            return seen, answers
        assert answer["Link"].endswith('>; rel="next"')
        assert "cursor=" in answer["Link"]


# --- the lists ----------------------------------------------------------------------------


def test_day_list_most_upvoted_first_without_hidden(client, v1_data):
    answer = client.get(f"{V1}/daily/{DAY.isoformat()}")
    assert answer.status_code == 200
    body = answer.json()
    expected = [e.paper.arxiv_id for e in reversed(v1_data.entries)]
    assert ids_of(body) == expected
    assert v1_data.hidden.paper.arxiv_id not in ids_of(body)
    first = body["items"][0]
    assert first["featured"] == {
        "day": DAY.isoformat(),
        "submitted_at": first["featured"]["submitted_at"],
        "submitted_by": "owner",
        "upvotes": 4,
        "comment_count": 0,
    }
    assert first["paper"]["upvotes"] == 4 and first["paper"]["authors"]
    assert body["next"] is None


def test_day_week_month_and_trending_page_through_the_same_papers(client, v1_data):
    expected = [e.paper.arxiv_id for e in reversed(v1_data.entries)]
    day, _ = walk(client, f"{V1}/daily/{DAY.isoformat()}", limit=2)
    week, answers = walk(client, f"{V1}/weekly/2025-W02", limit=2)
    month, _ = walk(client, f"{V1}/monthly/2025-01", limit=2)
    assert day == week == month == expected
    assert len(answers) == 3
    trending, _ = walk(client, f"{V1}/trending", limit=4)
    assert set(trending) == {*expected, v1_data.old}
    assert trending[-1] == v1_data.old or trending[0] == v1_data.old  # by score and time


@pytest.mark.parametrize(
    "url",
    ["/daily/2025-13-01", "/daily/tomorrow", "/weekly/2025-W60", "/weekly/x", "/monthly/2025-13"],
)
def test_a_bad_day_week_or_month_is_a_json_4xx(client, v1_data, url):
    answer = client.get(V1 + url)
    assert answer.status_code in {400, 404, 422}
    assert answer.json()["code"] in {"bad_request", "not_found", "invalid"}


# --- papers -------------------------------------------------------------------------------


def test_papers_newest_first_and_paging_across_inserts(client, v1_data, add_papers):
    first = client.get(f"{V1}/papers", {"limit": 5}).json()
    assert len(first["items"]) == 5
    dates = [p["submitted"] for p in first["items"]]
    assert dates == sorted(dates, reverse=True)
    # Papers come in between page 1 and 2: one newer than all, one among those not read yet.
    add_papers(1, arxiv_id="2502.00001", submitted=datetime(2025, 3, 1, tzinfo=UTC))
    add_papers(1, arxiv_id="2502.00002", submitted=datetime(2025, 1, 2, tzinfo=UTC))
    rest, _ = walk(client, f"{V1}/papers", limit=5, cursor=first["next"])
    seen = ids_of(first) + rest
    assert len(seen) == len(set(seen)), "a paper came twice"
    assert "2502.00001" not in seen  # it went before the cursor
    assert "2502.00002" in seen
    assert set(seen) == set(v1_data.papers) | {"2502.00002"}
    assert seen[-1] == v1_data.old  # 1999, the oldest


def test_day_list_paging_across_a_featuring(client, v1_data):
    from tests.community.helpers import make_entry, make_paper

    url = f"{V1}/daily/{DAY.isoformat()}"
    first = client.get(url, {"limit": 2}).json()
    at = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
    late = make_entry(make_paper(), day=DAY, upvotes=1, at=at)  # among the rest
    rest, _ = walk(client, url, limit=2, cursor=first["next"])
    seen = ids_of(first) + rest
    assert len(seen) == len(set(seen))
    assert late.paper.arxiv_id in seen
    assert set(seen) >= {e.paper.arxiv_id for e in v1_data.entries}


def test_one_paper_any_id_spelling(client, v1_data):
    paper = v1_data.paper
    body = client.get(f"{V1}/papers/{paper.arxiv_id}").json()
    assert body["id"] == paper.arxiv_id and body["title"] == paper.title
    assert body["featured"]["day"] == DAY.isoformat()
    assert body["abs_url"] == f"https://arxiv.org/abs/{paper.arxiv_id}"
    assert client.get(f"{V1}/papers/{paper.arxiv_id}v3").json()["id"] == paper.arxiv_id
    old = client.get(f"{V1}/papers/hep-th/9901001")
    assert old.status_code == 200 and old.json()["id"] == "hep-th/9901001"
    assert old.json()["featured"]["upvotes"] == 1
    assert client.get(f"{V1}/papers/hep-th%2F9901001").json()["id"] == "hep-th/9901001"
    hidden = client.get(f"{V1}/papers/{v1_data.hidden.paper.arxiv_id}").json()
    assert hidden["featured"] is None and hidden["upvotes"] == 0


@pytest.mark.parametrize("arxiv_id", ["2501.99999", "not-an-id", "9999.99999", "x" * 500])
def test_an_unknown_paper_is_a_404(client, v1_data, arxiv_id):
    answer = client.get(f"{V1}/papers/{arxiv_id}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    assert client.get(f"{V1}/papers/{arxiv_id}/comments").status_code == 404
    assert client.get(f"{V1}/papers/{arxiv_id}/similar").status_code == 404


def test_similar_papers_as_the_page_shows_them(client, v1_data):
    from dailypapers.search.services import similar_papers

    paper = v1_data.paper
    body = client.get(f"{V1}/papers/{paper.arxiv_id}/similar", {"limit": 4}).json()
    expected = [p.arxiv_id for p in similar_papers(paper, k=4)]
    assert expected and ids_of(body) == expected and body["next"] is None
    old = client.get(f"{V1}/papers/hep-th/9901001/similar").json()
    assert old["items"] and old["items"][0]["id"] != "hep-th/9901001"


def test_comments_threaded_visible_only(client, v1_data):
    body = client.get(f"{V1}/papers/{v1_data.paper.arxiv_id}/comments").json()
    threads = body["items"]
    assert len(threads) == 2  # the hidden one without replies is left out
    first, gone = threads
    assert first["state"] == "shown" and first["author"] == "owner"
    assert "<em>emphasis</em>" in first["body_html"]
    assert [r["body"] for r in first["replies"]] == ["A reply."]
    assert gone["state"] == "deleted" and gone["author"] is None and gone["body"] is None
    assert gone["replies"][0]["body"] == "Still, a reply to a deleted comment."
    assert "take this back" not in str(body) and "Hidden by" not in str(body)


def test_comments_page_by_thread(client, v1_data):
    from dailypapers.community.comments import post_comment

    url = f"{V1}/papers/{v1_data.paper.arxiv_id}/comments"
    first = client.get(url, {"limit": 1}).json()
    post_comment(v1_data.member, v1_data.paper, "A late thread.")
    rest, _ = walk(client, url, limit=1, cursor=first["next"])
    assert len(ids_of(first) + rest) == 3 == len(set(ids_of(first) + rest))


# --- search -------------------------------------------------------------------------------


def test_search_with_filters_and_sorts(client, v1_data):
    answer = client.get(f"{V1}/search", {"q": "graph neural", "limit": 3})
    body = answer.json()
    assert answer.status_code == 200 and body["items"]
    hit = body["items"][0]
    assert "graph" in hit["paper"]["title"].lower()
    assert any(part["match"] for part in hit["title_parts"])
    assert body["mode"] in {"lexical", "dense", "hybrid"}
    coded = client.get(f"{V1}/search", {"q": "study", "code": "true", "limit": 100}).json()
    assert coded["items"] and all(h["paper"]["code_url"] for h in coded["items"])
    cat = client.get(f"{V1}/search", {"cat": "cs.CV", "limit": 100}).json()
    assert cat["items"] and all("cs.CV" in h["paper"]["categories"] for h in cat["items"])
    dated = client.get(
        f"{V1}/search", {"date_from": "2025-01-05", "date_to": "2025-01-08", "limit": 100}
    ).json()
    assert dated["items"] and all(
        "2025-01-05" <= h["paper"]["submitted"][:10] <= "2025-01-08" for h in dated["items"]
    )
    votes = client.get(f"{V1}/search", {"sort": "votes", "limit": 3}).json()
    assert [h["paper"]["upvotes"] for h in votes["items"]] == [4, 3, 2]
    newest = client.get(f"{V1}/search", {"q": "study", "sort": "date"}).json()
    dates = [h["paper"]["submitted"] for h in newest["items"]]
    assert dates == sorted(dates, reverse=True)


def test_search_pages_keep_their_place_across_inserts(client, v1_data, add_papers):
    from dailypapers.search import keeper

    first = client.get(f"{V1}/search", {"q": "study", "limit": 4}).json()
    add_papers(1, arxiv_id="2503.00001", title="A study of everything", abstract="We study.")
    keeper.index_pending()
    rest, _ = walk(client, f"{V1}/search", q="study", limit=4, cursor=first["next"])
    seen = ids_of(first) + rest
    assert len(seen) == len(set(seen))
    assert set(seen) >= set(v1_data.ids)


def test_a_cursor_belongs_to_its_query(client, v1_data):
    cursor = client.get(f"{V1}/search", {"q": "study", "limit": 2}).json()["next"]
    answer = client.get(f"{V1}/search", {"q": "graph", "limit": 2, "cursor": cursor})
    assert answer.status_code == 400 and answer.json()["code"] == "bad_cursor"
    answer = client.get(f"{V1}/papers", {"cursor": cursor})
    assert answer.status_code == 400 and answer.json()["code"] == "bad_cursor"


def test_search_mode_is_the_readers_choice(client, v1_data):
    for mode in ("lexical", "dense", "hybrid"):
        body = client.get(f"{V1}/search", {"q": "graph neural", "mode": mode}).json()
        assert body["mode"] == mode and body["items"], mode
    lexical = client.get(f"{V1}/search", {"q": "graph", "mode": "lexical", "limit": 100}).json()
    assert all("graph" in h["paper"]["title"].lower() for h in lexical["items"])
    assert client.get(f"{V1}/search", {"q": "graph"}).json()["mode"] == "hybrid"


@pytest.mark.parametrize(
    "params",
    [
        {"cat": "not a category!"},
        {"cat": " ".join(["cs.LG"] * 11)},
        {"sort": "loudness"},
        {"mode": "semantic"},
        {"mode": "lexical\x00"},
        {"limit": "many"},
        {"limit": 101},
        {"limit": 0},
        {"q": "x" * 251},
        {"date_from": "yesterday"},
        {"code": "perhaps"},
    ],
)
def test_bad_search_parameters_are_422(client, v1_data, params):
    answer = client.get(f"{V1}/search", params)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid"


def test_search_index_being_rebuilt_is_a_503(client, v1_data, search_settings):
    import json

    from dailypapers.search.holder import HOLDER

    path = search_settings.SEARCH_INDEX_DIR / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format": 1}))
    HOLDER.forget()
    answer = client.get(f"{V1}/search", {"q": "graph"})
    assert answer.status_code == 503
    assert answer.json()["code"] == "unavailable" and answer["Retry-After"] == "120"


# --- people and collections ---------------------------------------------------------------


def test_profile_and_its_lists(client, v1_data):
    body = client.get(f"{V1}/users/owner").json()
    assert body["username"] == "owner" and body["suspended"] is False
    assert body["submissions"] == 5 and body["collections"] == 1 and body["comments"] == 2
    subs, _ = walk(client, f"{V1}/users/owner/submissions", limit=2)
    assert subs == [e.paper.arxiv_id for e in reversed(v1_data.entries)]
    ups = client.get(f"{V1}/users/member/upvotes").json()
    assert set(ids_of(ups)) == {e.paper.arxiv_id for e in v1_data.entries[:2]}
    comments = client.get(f"{V1}/users/member/comments").json()["items"]
    assert [c["body"] for c in comments] == ["A reply."]  # deleted and hidden ones are not
    assert comments[0]["paper_id"] == v1_data.paper.arxiv_id
    assert client.get(f"{V1}/users/nobody").json()["code"] == "not_found"


def test_public_collections_only(client, v1_data):
    listed = client.get(f"{V1}/users/owner/collections").json()
    assert [c["name"] for c in listed["items"]] == ["Graph reading"]
    assert listed["items"][0]["papers"] == 3
    slug = listed["items"][0]["slug"]
    items, _ = walk(client, f"{V1}/users/owner/collections/{slug}", limit=2)
    assert items == v1_data.ids[:3]
    one = client.get(f"{V1}/users/owner/collections/{slug}").json()
    assert one["collection"]["description"] == "Papers on graphs."
    private = client.get(f"{V1}/users/owner/collections/{v1_data.private.slug}")
    assert private.status_code == 404 and private.json()["code"] == "not_found"
    reading = client.get(f"{V1}/users/owner/collections/reading-list")
    assert reading.status_code == 404


# --- conditional requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/trending",
        "/papers",
        "/papers/hep-th/9901001",
        "/search?q=graph",
        "/users/owner",
        "/users/owner/collections",
    ],
)
def test_etag_and_last_modified_answer_304(client, v1_data, url):
    answer = client.get(V1 + url)
    assert answer.status_code == 200
    etag, modified = answer["ETag"], answer["Last-Modified"]
    again = client.get(V1 + url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(V1 + url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(V1 + url, headers={"If-Modified-Since": modified}).status_code == 304
    stale = client.get(V1 + url, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.json() == answer.json()
    early = client.get(V1 + url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert early.status_code == 200
    junk = client.get(V1 + url, headers={"If-Modified-Since": "\x00 not a date"})
    assert junk.status_code == 200


def test_a_change_changes_the_etag(client, v1_data):
    from dailypapers.community.votes import toggle_vote

    url = f"{V1}/daily/{DAY.isoformat()}"
    answer = client.get(url)
    toggle_vote(v1_data.member, v1_data.entries[3])
    fresh = client.get(url, headers={"If-None-Match": answer["ETag"]})
    assert fresh.status_code == 200 and fresh["ETag"] != answer["ETag"]


# --- CORS, rate, bad input ----------------------------------------------------------------


def test_cors_open_for_anonymous_reads(client, v1_data):
    origin = {"Origin": "https://example.com"}
    for url in (f"{V1}/papers", "/api/papers/search?q=graph", f"{V1}/openapi.json"):
        answer = client.get(url, headers=origin)
        assert answer["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in answer
        assert "Link" in answer["Access-Control-Expose-Headers"]
    preflight = client.options(
        f"{V1}/papers",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in preflight["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "authorization" not in preflight["Access-Control-Allow-Headers"].lower()
    page = client.get("/papers/trending", headers=origin)
    assert "Access-Control-Allow-Origin" not in page  # only /api/


def test_over_the_rate_is_a_429_on_every_operation(client, v1_data, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RATE_API = "3/m"
    urls = [f"{V1}/papers", f"{V1}/trending", f"{V1}/users/owner", f"{V1}/search"]
    answers = [client.get(url) for url in urls]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert (
        refused.json()
        == {
            "code": "rate_limited",
            "message": "Too many requests: at most 3 per minute.",
            "detail": None,
        }
        or refused.json()["code"] == "rate_limited"
    )
    assert 1 <= int(refused["Retry-After"]) <= 60
    token = client.get(f"{V1}/papers", headers={"Authorization": f"Bearer {v1_data.token}"})
    assert token.status_code == 429
    cache.clear()


@pytest.mark.parametrize(
    "url",
    [
        "/papers/2501.0000%00",
        "/users/own%00er",
        "/papers?cursor=%00",
        "/papers?cursor=" + "A" * 2000,
        "/papers?cursor=not-a-cursor",
        "/papers?cursor=eyJhIjoxfQ:1abc:def",
        "/papers?limit=-1",
        "/papers?limit=1e3",
        "/papers?limit=99999999999999999999999",
        "/search?q=" + "x" * 5000,
        "/search?cat=%00",
        "/daily/2025-01-10%00",
        "/users/" + "u" * 400,
        "/users/owner/collections/" + "s" * 400,
        "/trending?cursor=" + "%F0%9F%9A%80" * 10,
    ],
)
def test_bad_input_is_a_json_4xx(client, v1_data, url):
    answer = client.get(V1 + url)
    assert 400 <= answer.status_code < 500, answer.content
    assert answer["Content-Type"].startswith("application/json")
    assert answer.json()["code"] in {"bad_request", "bad_cursor", "invalid", "not_found"}


def test_control_characters_in_words_are_dropped_as_on_the_page(client, v1_data):
    answer = client.get(f"{V1}/search", {"q": "\x00graph\x07"})
    assert answer.status_code == 200
    assert answer.json() == client.get(f"{V1}/search", {"q": " graph "}).json()


def test_a_cursor_tampered_with_is_refused(client, v1_data):
    cursor = client.get(f"{V1}/papers", {"limit": 2}).json()["next"]
    flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    answer = client.get(f"{V1}/papers", {"cursor": flipped})
    assert answer.status_code == 400 and answer.json()["code"] == "bad_cursor"


def test_head_answers_as_get_without_the_body(client, v1_data):
    for url in (f"{V1}/papers", f"{V1}/trending", "/api/daily_papers", "/api/papers?limit=2"):
        got = client.get(url)
        head = client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head["Content-Length"] == str(len(got.content))
        assert head.get("ETag") == got.get("ETag") and head.get("Link") == got.get("Link")
    # the middleware itself drops the body (the test client would anyway)
    from django.test import RequestFactory

    from dailypapers.core.middleware import ApiHeadMiddleware

    def view(request):
        from django.http import HttpResponse

        assert request.method == "GET"
        return HttpResponse(b"[1, 2, 3]", content_type="application/json")

    answer = ApiHeadMiddleware(view)(RequestFactory().head("/api/v1/papers"))
    assert answer.content == b"" and answer["Content-Length"] == "9"
    page = ApiHeadMiddleware(lambda r: (_ for _ in ()).throw(AssertionError(r.method)))
    with pytest.raises(AssertionError, match="HEAD"):
        page(RequestFactory().head("/papers/trending"))  # pages are left to their views
