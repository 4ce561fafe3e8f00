"""/api/v1's writes on the community: submit, vote, comment. Each write goes through the
API with a token and shows on the page; each refusal has the page's words and a stable
code; a read-only token, no token, a revoked one or a suspended owner change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.accounts.models import ApiToken, Profile
from dailypapers.accounts.tokens import revoke
from dailypapers.community.models import Comment, CommentRevision, DailyEntry, Vote
from tests.community.helpers import make_entry, make_paper

from .write_helpers import Api, refusal, shows, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _offline(settings, fresh_cache):
    settings.FETCH_MISSING_PAPERS = False  # an unknown id is unknown: no call to arXiv


@pytest.fixture
def api(client, cast):
    return Api(client, token_for(cast.owner))


@pytest.fixture
def page(cast):
    """The owner on the pages, in a browser session of their own."""
    browser = Client()
    browser.force_login(cast.owner)
    return browser


# --- who may write ---------------------------------------------------------------------------


def test_a_read_token_may_not_write(client, cast):
    paper = make_entry().paper
    reader = Api(client, token_for(cast.owner, ApiToken.Scope.READ))
    message = refusal(reader.post(f"/papers/{paper.arxiv_id}/vote"), 403, "read_only_token")
    assert "only read" in message
    assert not Vote.objects.exists()


@pytest.mark.parametrize("how", ["none", "unknown", "revoked", "suspended", "not bearer"])
def test_no_usable_token_is_a_401(client, cast, how):
    paper = make_entry().paper
    secret = token_for(cast.owner)
    extra = {}
    if how == "unknown":
        secret = "dp_" + "x" * 40
    elif how == "revoked":
        revoke(cast.owner, ApiToken.objects.get(user=cast.owner).pk)
    elif how == "suspended":
        Profile.objects.create(user=cast.owner, suspended_at=timezone.now())
    elif how == "not bearer":
        extra["HTTP_AUTHORIZATION"] = f"Basic {secret}"
    answer = Api(client, None if how == "none" else secret).post(
        f"/papers/{paper.arxiv_id}/vote", **extra
    )
    refusal(answer, 401, "unauthorized")
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert not Vote.objects.exists()


def test_a_logged_in_browser_is_not_a_token(client, cast):
    client.force_login(cast.owner)
    refusal(
        Api(client, None).post(f"/papers/{make_entry().paper.arxiv_id}/vote"), 401, "unauthorized"
    )


# --- submitting ------------------------------------------------------------------------------


def test_submit_features_the_paper_today(api, cast, client):
    paper = make_paper()
    answer = api.post("/submissions", {"arxiv_id": f"https://arxiv.org/abs/{paper.arxiv_id}v2"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["arxiv_id"] == paper.arxiv_id and body["submitted_by"] == "owner"
    assert body["day"] == timezone.localdate().isoformat() and body["upvotes"] == 0
    entry = DailyEntry.objects.get(paper=paper)
    assert entry.submitted_by == cast.owner and entry.source == "member"
    assert paper.title in Client().get("/").content.decode()  # today's list shows it


def test_submit_takes_a_first_comment(api, cast):
    paper = make_paper()
    answer = api.post(
        "/submissions", {"arxiv_id": paper.arxiv_id, "comment": "Read section 3: $x^2$."}
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["comments"] == 1
    first = Comment.objects.get(paper=paper)
    assert first.author == cast.owner and first.body == "Read section 3: $x^2$."


def test_a_bad_first_comment_refuses_the_submission(api):
    paper = make_paper()
    message = refusal(
        api.post("/submissions", {"arxiv_id": paper.arxiv_id, "comment": "nul \u0000"}),
        422,
        "comment_nul",
    )
    assert "NUL" in message
    assert not DailyEntry.objects.filter(paper=paper).exists()


def _old():
    return make_paper(submitted=timezone.now() - timedelta(days=30)).arxiv_id


def _featured():
    return make_entry(day=timezone.localdate() - timedelta(days=1)).paper.arxiv_id


@pytest.mark.parametrize(
    ("make_id", "status", "code"),
    [
        (lambda: "not an id", 422, "invalid_arxiv_id"),
        (lambda: "2513.00001", 422, "invalid_arxiv_id"),
        (lambda: "2501.99999", 404, "paper_not_found"),
        (_old, 422, "too_old"),
        (_featured, 409, "already_featured"),
    ],
)
def test_submit_refusals_have_the_pages_words(api, page, make_id, status, code):
    arxiv_id = make_id()
    message = refusal(api.post("/submissions", {"arxiv_id": arxiv_id}), status, code)
    shown = page.post("/submit", {"id": arxiv_id})
    assert shown.status_code == 400 and shows(shown, message)


def test_unconfirmed_email_is_refused_as_on_the_page(client, cast):
    paper = make_paper()
    stranger = Api(client, token_for(cast.stranger))
    message = refusal(
        stranger.post("/submissions", {"arxiv_id": paper.arxiv_id}), 403, "email_unconfirmed"
    )
    browser = Client()
    browser.force_login(cast.stranger)
    assert shows(browser.post("/submit", {"id": paper.arxiv_id}), message)
    assert not DailyEntry.objects.exists()


def test_the_daily_cap_is_the_pages(api, page, settings):
    settings.SUBMIT_DAILY_CAP = 1
    assert api.post("/submissions", {"arxiv_id": make_paper().arxiv_id}).status_code == 201
    answer = api.post("/submissions", {"arxiv_id": make_paper().arxiv_id})
    message = refusal(answer, 429, "daily_cap_reached")
    assert int(answer["Retry-After"]) > 0
    assert shows(page.post("/submit", {"id": make_paper().arxiv_id}), message)


def test_the_submit_rate_is_shared_with_the_page(api, page, settings):
    settings.RATE_SUBMIT = "1/h"
    assert api.post("/submissions", {"arxiv_id": make_paper().arxiv_id}).status_code == 201
    answer = api.post("/submissions", {"arxiv_id": make_paper().arxiv_id})
    message = refusal(answer, 429, "rate_limited")
    assert message == "Too many requests: at most 1 per hour. Please wait a little."
    assert answer["Retry-After"] == "3600"
    limited = page.post("/submit", {"id": make_paper().arxiv_id})
    assert limited.status_code == 429 and shows(limited, message)


# --- votes -----------------------------------------------------------------------------------


def test_vote_and_unvote_show_on_the_paper_page(api, cast):
    entry = make_entry(upvotes=2)
    path = f"/papers/{entry.paper.arxiv_id}/vote"
    answer = api.post(path)
    assert answer.status_code == 200
    assert answer.json() == {"arxiv_id": entry.paper.arxiv_id, "voted": True, "upvotes": 3}
    assert api.post(path).json()["upvotes"] == 3  # twice counts once
    assert Vote.objects.filter(user=cast.owner, paper=entry.paper).exists()
    html = Client().get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert '<span class="count">3</span>' in html
    assert api.delete(path).json() == {
        "arxiv_id": entry.paper.arxiv_id,
        "voted": False,
        "upvotes": 2,
    }
    html = Client().get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert '<span class="count">2</span>' in html and not Vote.objects.exists()


def test_old_style_ids_and_versions_name_the_paper(api):
    entry = make_entry(make_paper(arxiv_id="hep-th/9901001"))
    assert api.post("/papers/hep-th/9901001v2/vote").json()["voted"] is True
    assert api.post("/papers/hep-th%2F9901001/save").json()["saved"] is True
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 1


def test_a_paper_never_featured_cannot_be_voted_on(api):
    paper = make_paper()
    refusal(api.post(f"/papers/{paper.arxiv_id}/vote"), 404, "not_featured")
    refusal(api.post("/papers/2501.99999/vote"), 404, "paper_not_found")


def test_an_unfeatured_paper_is_refused_as_on_the_page(api, page):
    entry = make_entry()
    DailyEntry.objects.filter(pk=entry.pk).update(hidden=True)
    message = refusal(api.post(f"/papers/{entry.paper.arxiv_id}/vote"), 409, "not_featured")
    shown = page.post(f"/vote/{entry.pk}")
    assert shown.status_code == 409 and shows(shown, message)


def test_the_vote_rate_is_the_pages(api, page, settings):
    # (the limiter's clock is held inside one window: tests/fixtures.py limiter_clock)
    settings.RATE_VOTE = "2/m"
    entry = make_entry()
    path = f"/papers/{entry.paper.arxiv_id}/vote"
    assert api.post(path).status_code == 200
    assert api.delete(path).status_code == 200
    message = refusal(api.post(path), 429, "rate_limited")
    assert answer_is_pages(page.post(f"/vote/{entry.pk}"), message)


def answer_is_pages(shown, message):
    return shown.status_code == 429 and shows(shown, message)


# --- comments --------------------------------------------------------------------------------


def test_comment_reply_edit_delete_show_in_the_thread(api, cast):
    entry = make_entry()
    arxiv_id = entry.paper.arxiv_id
    made = api.post("/comments", {"arxiv_id": arxiv_id, "body": "Nice *result*: $x^2$."})
    assert made.status_code == 201, made.content
    first = made.json()
    assert first["author"] == "owner" and first["parent"] is None
    assert "<em>result</em>" in first["body_html"]
    assert first["url"] == f"/papers/{arxiv_id}#c{first['id']}"
    thread = Client().get(f"/papers/{arxiv_id}").content.decode()
    assert "<em>result</em>" in thread and f'id="c{first["id"]}"' in thread
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 1

    replied = api.post(f"/comments/{first['id']}/replies", {"body": "Answering myself."})
    assert replied.status_code == 201 and replied.json()["parent"] == first["id"]
    also = api.post("/comments", {"arxiv_id": arxiv_id, "body": "Again.", "parent": first["id"]})
    assert also.status_code == 201 and also.json()["parent"] == first["id"]
    assert Comment.objects.filter(parent_id=first["id"]).count() == 2

    edited = api.patch(f"/comments/{first['id']}", {"body": "Edited **text**."})
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    assert CommentRevision.objects.get(comment_id=first["id"]).body == "Nice *result*: $x^2$."
    thread = Client().get(f"/papers/{arxiv_id}").content.decode()
    assert "<strong>text</strong>" in thread and "<em>result</em>" not in thread

    gone = api.delete(f"/comments/{replied.json()['id']}")
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert "Answering myself." not in Client().get(f"/papers/{arxiv_id}").content.decode()
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 2


def test_hostile_html_and_latex_are_kept_as_text(api):
    paper = make_entry().paper
    body = (
        '<script>alert(1)</script><img src=x onerror=alert(2)> <a href="javascript:x">y</a> '
        "$\\href{javascript:alert(3)}{z}$ \\begin{document} $$\\def\\a{\\a}\\a$$"
    )
    made = api.post("/comments", {"arxiv_id": paper.arxiv_id, "body": body})
    assert made.status_code == 201
    assert made.json()["body"] == body
    html = made.json()["body_html"]
    assert "<script" not in html and "<img" not in html and '<a href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = Client().get(f"/papers/{paper.arxiv_id}").content.decode()
    assert "&lt;script&gt;alert(1)" in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page


@pytest.mark.parametrize(
    ("body", "code"),
    [("   ", "comment_empty"), ("a\x00b", "comment_nul"), ("x" * 20_001, "comment_too_long")],
)
def test_comment_refusals_have_the_pages_words(api, page, body, code):
    paper = make_entry().paper
    message = refusal(api.post("/comments", {"arxiv_id": paper.arxiv_id, "body": body}), 422, code)
    shown = page.post(f"/comments/on/{paper.pk}", {"body": body}, follow=True)
    if "\x00" in body:  # the site turns NUL bytes in a form away before any page sees them
        assert shown.status_code == 400
    else:
        assert shows(shown, message)
    assert not Comment.objects.exists()


def test_a_reply_to_a_hidden_comment_is_refused_as_on_the_page(api, page, cast):
    paper = make_entry().paper
    hidden = Comment.objects.create(
        paper=paper, author=cast.member, body="x", body_html="x", hidden=True
    )
    message = refusal(
        api.post(f"/comments/{hidden.pk}/replies", {"body": "hi"}), 409, "cannot_reply"
    )
    shown = page.post(f"/comments/on/{paper.pk}", {"body": "hi", "parent": hidden.pk}, follow=True)
    assert shows(shown, message)
    refusal(
        api.post(
            "/comments", {"arxiv_id": make_paper().arxiv_id, "body": "hi", "parent": hidden.pk}
        ),
        404,
        "comment_not_found",
    )


def test_another_members_comment_is_theirs(client, cast, api):
    paper = make_entry().paper
    theirs = Comment.objects.create(paper=paper, author=cast.member, body="mine", body_html="mine")
    edit = refusal(api.patch(f"/comments/{theirs.pk}", {"body": "hacked"}), 403, "not_your_comment")
    gone = refusal(api.delete(f"/comments/{theirs.pk}"), 403, "not_your_comment")
    browser = Client()
    browser.force_login(cast.owner)
    assert shows(browser.get(f"/comments/{theirs.pk}/edit"), edit)
    assert shows(browser.post(f"/comments/{theirs.pk}/delete"), gone)
    theirs.refresh_from_db()
    assert theirs.body == "mine" and theirs.deleted_at is None


def test_the_comment_rate_is_the_pages(api, page, settings):
    settings.RATE_COMMENT = "1/m"
    paper = make_entry().paper
    assert api.post("/comments", {"arxiv_id": paper.arxiv_id, "body": "one"}).status_code == 201
    message = refusal(
        api.post("/comments", {"arxiv_id": paper.arxiv_id, "body": "two"}), 429, "rate_limited"
    )
    assert answer_is_pages(page.post(f"/comments/on/{paper.pk}", {"body": "three"}), message)


# --- bad input: a 4xx in JSON, never a 500 ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/submissions", {"arxiv_id": "2501.0\x00001"}),
        ("post", "/submissions", {"arxiv_id": "9" * 10_000}),
        ("post", "/submissions", {"arxiv_id": 12}),
        ("post", "/submissions", {}),
        ("post", "/submissions", "{not json"),
        ("post", "/submissions", "\x00"),
        ("post", "/submissions", [1, 2]),
        ("post", "/papers/" + "1" * 5000 + "/vote", None),
        ("delete", "/papers/<script>/save", None),
        ("post", "/comments", {"arxiv_id": "x" * 100_000, "body": "hi"}),
        ("post", "/comments", {"arxiv_id": "2501.00001", "body": "hi", "parent": "one"}),
        ("post", "/comments", {"arxiv_id": "2501.00001", "body": "hi", "parent": 2**70}),
        ("post", "/comments", {"arxiv_id": "2501.00001", "body": None}),
        ("post", "/comments/abc/replies", {"body": "hi"}),
        ("post", "/comments/99999999999999999999999/replies", {"body": "hi"}),
        ("patch", "/comments/-1", {"body": "hi"}),
        ("patch", "/comments/1", {"body": "x" * 2_000_000}),
        ("delete", "/comments/1.5", None),
    ],
)
def test_bad_input_is_a_json_4xx(api, method, path, body):
    make_entry(make_paper(arxiv_id="2501.00001"))
    answer = api.call(method, path, body)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("application/json")
    assert answer.json()["code"]


@pytest.mark.parametrize("path", ["/papers/2501.0\x00001/vote", "/papers/%00/vote"])
def test_a_nul_in_the_path_is_turned_away_before_the_api(api, path):
    answer = api.post(path)  # by the site-wide guard, as for every page
    assert answer.status_code == 400 and b"NUL" in answer.content
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/submissions", "submit"),
        ("/api/v1/papers/2501.00001/vote", "vote"),
        ("/api/v1/papers/hep-th/9901001/save", "save"),
        ("/api/v1/comments", "comment"),
        ("/api/v1/comments/1/replies", "reply"),
        ("/api/v1/comments/1", "edit"),
        ("/api/v1/me/collections", "my_collections"),
        ("/api/v1/me/collections/1", "update_collection"),
        ("/api/v1/me/collections/1/papers/2501.00001", "add_paper"),
        ("/api/v1/me/digest", "my_digest"),
        ("/api/v1/me/digest/pause", "pause_digest"),
    ],
)
def test_no_other_route_shadows_a_write(url, name):
    from django.urls import resolve

    assert resolve(url).url_name == name  # the first pattern that matches is the write's
