"""Following authors and categories: the library's verbs (idempotent, race-safe) and the
buttons (htmx and plain forms, CSRF, no GET changes state, visitors sent to log in)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from dailypapers.catalog.models import Author
from dailypapers.community.browse import author_url
from dailypapers.library import follows
from dailypapers.library.models import Follow
from tests.community.helpers import make_paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db) -> Author:
    make_paper(authors=["Ada Lovelace", "Alan Turing"], categories=["cs.LG", "stat.ML"])
    return Author.objects.get(name="Ada Lovelace")


def test_verbs_are_idempotent(cast, ada):
    for _ in range(3):
        follows.follow_author(cast.member, ada.pk)
        follows.follow_category(cast.member, "cs.LG")
        follows.follow_search(cast.member, "q=graphs", "Graphs")
    assert Follow.objects.filter(user=cast.member).count() == 3
    assert follows.followed_author_ids(cast.member) == {ada.pk}
    assert follows.followed_categories(cast.member) == {"cs.LG"}
    [saved] = follows.saved_searches(cast.member)
    assert (saved.query, saved.label) == ("q=graphs", "Graphs")
    assert saved.stream_query == "q=graphs&sort=date"
    assert follows.followed_author_ids(cast.owner) == set()
    assert follows.unfollow_author(cast.member, ada.pk) is True
    assert follows.unfollow_author(cast.member, ada.pk) is False
    assert follows.unfollow_category(cast.member, "cs.LG") is True
    assert follows.unfollow_search(cast.member, "q=graphs") is True
    assert not Follow.objects.exists()


def test_one_follow_per_target_in_the_schema(cast, ada):
    """What the verbs' IntegrityError fallback relies on when a double click races."""
    Follow.objects.create(user=cast.member, kind="author", author=ada)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=cast.member, kind="author", author=ada)
    Follow.objects.create(user=cast.member, kind="search", query="q=x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=cast.member, kind="search", query="q=x")
    assert follows.follow_author(cast.member, ada.pk).author_id == ada.pk
    assert Follow.objects.filter(user=cast.member).count() == 2


def test_refusals(cast, ada):
    with pytest.raises(follows.FollowRefused, match="no such author"):
        follows.follow_author(cast.member, 10**9)
    with pytest.raises(follows.FollowRefused, match="no such category"):
        follows.follow_category(cast.member, "xx.YY")
    with pytest.raises(follows.FollowRefused, match="too long"):
        follows.follow_search(cast.member, "q=" + "a" * 1000)
    with pytest.raises(follows.FollowRefused, match="Nothing to follow"):
        follows.follow_search(cast.member, "")
    assert not Follow.objects.exists()


def test_follow_and_unfollow_an_author_with_plain_forms(client, cast, ada):
    client.force_login(cast.member)
    url = f"/following/authors/{ada.pk}"
    response = client.post(url, {"next": author_url(ada)})
    assert response.status_code == 302 and response["Location"] == author_url(ada)
    assert follows.followed_author_ids(cast.member) == {ada.pk}
    client.post(url, {"action": "follow"})
    assert Follow.objects.count() == 1
    page = client.get(author_url(ada)).content.decode()
    assert 'value="unfollow"' in page and "Unfollow<span" in page
    response = client.post(url, {"action": "unfollow", "next": "https://evil.example/"})
    assert response["Location"] == author_url(ada)  # no open redirect
    client.post(url, {"action": "unfollow"})
    assert not Follow.objects.exists()


def test_htmx_gets_the_button_back(client, cast, ada):
    client.force_login(cast.member)
    response = client.post("/following/categories/cs.LG", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<form class="follow-form inline"')
    assert 'value="unfollow"' in body and 'value="/categories/cs.LG"' in body
    assert follows.followed_categories(cast.member) == {"cs.LG"}


def test_visitors_are_sent_to_log_in(client, ada):
    response = client.post(f"/following/authors/{ada.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={author_url(ada)}"
    response = client.post("/following/categories/cs.LG", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/categories/cs.LG"
    page = client.get(author_url(ada)).content.decode()
    assert f'href="/accounts/login/?next={author_url(ada)}"' in page
    assert not Follow.objects.exists()


def test_csrf_is_required(cast, ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.member)
    for url in (f"/following/authors/{ada.pk}", "/following/categories/cs.LG", "/search/follow"):
        assert client.post(url, {"search": "q=x"}).status_code == 403
    follow = follows.follow_author(cast.member, ada.pk)
    assert client.post(f"/following/{follow.pk}/unfollow").status_code == 403
    assert Follow.objects.count() == 1


def test_get_never_changes_state(client, cast, ada):
    client.force_login(cast.member)
    follow = follows.follow_category(cast.member, "stat.ML")
    for url in (
        f"/following/authors/{ada.pk}",
        "/following/categories/cs.LG",
        f"/following/{follow.pk}/unfollow",
        "/search/follow?search=q%3Dx",
    ):
        assert client.get(url).status_code == 405
    assert list(Follow.objects.values_list("category_id", flat=True)) == ["stat.ML"]


@pytest.mark.parametrize(
    "url",
    [
        "/following/authors/999999",
        "/following/authors/" + "9" * 30,
        "/following/categories/nope",
        "/following/categories/%3Cscript%3E",
        "/following/categories/" + "a" * 50,
    ],
)
def test_hostile_follow_targets_are_404(client, cast, ada, url):
    client.force_login(cast.member)
    assert client.post(url).status_code == 404
    assert not Follow.objects.exists()


def test_following_page_lists_and_unfollows(client, cast, ada):
    client.force_login(cast.member)
    assert "You follow nothing yet" in client.get("/following").content.decode()
    follows.follow_author(cast.member, ada.pk)
    follows.follow_category(cast.member, "cs.LG")
    saved = follows.follow_search(cast.member, "q=graph+networks&cat=cs.LG", "Graph networks")
    follows.follow_category(cast.owner, "stat.ML")  # someone else's
    page = client.get("/following").content.decode()
    assert f'href="{author_url(ada)}"' in page
    assert 'href="/categories/cs.LG"' in page and "stat.ML" not in page
    assert 'href="/search?q=graph+networks&amp;cat=cs.LG&amp;sort=date"' in page
    assert "Graph networks" in page
    others = follows.follow_category(cast.owner, "cs.LG")
    client.post(f"/following/{others.pk}/unfollow")  # not theirs to remove
    assert Follow.objects.filter(pk=others.pk).exists()
    response = client.post(f"/following/{saved.pk}/unfollow", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    response = client.post(f"/following/{saved.pk}/unfollow")
    assert response["Location"] == "/following"
    assert follows.saved_searches(cast.member) == []
    assert client.post("/following/" + "9" * 25 + "/unfollow").status_code == 302


def test_following_page_needs_login(client):
    response = client.get("/following")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_following_page_queries_are_constant(client, cast, django_assert_max_num_queries):
    client.force_login(cast.member)
    for i in range(20):
        make_paper(authors=[f"Writer {i}"], categories=[f"cs.X{chr(65 + i)}"])
        follows.follow_author(cast.member, Author.objects.get(name=f"Writer {i}").pk)
        follows.follow_category(cast.member, f"cs.X{chr(65 + i)}")
        follows.follow_search(cast.member, f"q=topic+{i}")
    with django_assert_max_num_queries(8):
        assert client.get("/following").status_code == 200
