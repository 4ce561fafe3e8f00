"""Profiles: a member's submissions, upvotes and comments."""

from __future__ import annotations

import pytest

from dailypapers.community.comments import post_comment
from dailypapers.community.votes import toggle_vote
from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db


def test_tabs_show_submissions_upvotes_and_comments(client, cast):
    mine = make_entry(by=cast.owner, title="The owners own paper")
    other = make_entry(by=cast.member, title="Paper the owner liked")
    toggle_vote(cast.owner, other)
    post_comment(cast.owner, other.paper, "A *thoughtful* remark")
    page = client.get("/u/owner").content.decode()
    assert "The owners own paper" in page and "Paper the owner liked" not in page
    page = client.get("/u/owner?tab=upvotes").content.decode()
    assert "Paper the owner liked" in page and "The owners own paper" not in page
    page = client.get("/u/owner?tab=comments").content.decode()
    assert "<em>thoughtful</em>" in page and f"/papers/{other.paper.arxiv_id}#c" in page
    assert mine.paper.arxiv_id not in page


def test_unknown_member_is_not_found(client, db):
    assert client.get("/u/nobody").status_code == 404


@pytest.mark.parametrize("tab", ["submissions", "upvotes", "comments"])
def test_profile_runs_a_fixed_number_of_queries(client, cast, tab, django_assert_num_queries):
    def add():
        entry = make_entry(by=cast.owner)
        toggle_vote(cast.owner, entry)
        post_comment(cast.owner, entry.paper, "words")

    add()
    # the member, their suspension state, the list (no votes to look up for a visitor)
    url = f"/u/owner?tab={tab}"
    with django_assert_num_queries(3):
        client.get(url)
    for _ in range(15):
        add()
    with django_assert_num_queries(3):
        client.get(url)


def test_own_submissions_do_not_repeat_the_submitter(client, cast):
    make_entry(by=cast.owner, title="The owners own paper")
    liked = make_entry(by=cast.member, title="Paper the owner liked")
    toggle_vote(cast.owner, liked)
    page = client.get("/u/owner").content.decode()
    assert "The owners own paper" in page and "Submitted by" not in page.split("<main", 1)[1]
    # on the upvotes tab the cards are other people's submissions: say whose
    page = client.get("/u/owner?tab=upvotes").content.decode()
    assert 'Submitted by <a href="/u/member">' in page


def test_settings_link_only_for_the_owner(client, cast):
    assert 'href="/settings/email"' not in client.get("/u/owner").content.decode()
    client.force_login(cast.member)
    assert 'href="/settings/email"' not in client.get("/u/owner").content.decode()
    client.force_login(cast.owner)
    page = client.get("/u/owner").content.decode()
    assert (
        '<a class="button secondary small settings-link" href="/settings/email">Settings</a>'
        in page
    )
