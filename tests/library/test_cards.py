"""The saved and read state of every card costs a fixed number of queries, and none of a
reader's state reaches the pages cached for visitors."""

from __future__ import annotations

import pytest

from dailypapers.library.services import mark_read, save
from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db


def test_a_list_costs_the_same_queries_for_one_card_or_thirty(
    client, cast, django_assert_num_queries
):
    first = make_entry()
    save(cast.member, first.paper)
    mark_read(cast.member, first.paper)
    client.force_login(cast.member)
    client.get("/papers/trending")
    # session, user, the list, votes, saved ids, read ids, the reader's hiding choice
    with django_assert_num_queries(7):
        page = client.get("/papers/trending").content.decode()
    assert page.count("★</span> Saved") == 1 and page.count("✓</span> Read") == 1
    for _ in range(30):
        entry = make_entry()
        save(cast.member, entry.paper)
        mark_read(cast.member, entry.paper)
    with django_assert_num_queries(7):
        page = client.get("/papers/trending").content.decode()
    assert page.count("★</span> Saved") == 31 and page.count("✓</span> Read") == 31


def test_a_visitor_list_costs_no_query_for_the_buttons(client, cast, django_assert_num_queries):
    for _ in range(5):
        make_entry()
    with django_assert_num_queries(1):  # the list alone, as before
        page = client.get("/papers/trending").content.decode()
    assert page.count("Log in to save") == 5


@pytest.mark.django_db(transaction=True)
def test_no_reader_state_reaches_the_visitors_cache(client, cast, settings):
    settings.PAGE_CACHE_SECONDS = 60
    entry = make_entry(title="Cached card")
    save(cast.member, entry.paper)
    mark_read(cast.member, entry.paper)
    member = type(client)()
    member.force_login(cast.member)
    urls = ["/", "/papers/trending", f"/papers/{entry.paper.arxiv_id}"]
    for url in urls:  # the member first: their pages are never cached
        page = member.get(url).content.decode()
        assert "★</span> Saved" in page and "✓</span> Read" in page, url
    for url in urls:
        page = client.get(url).content.decode()
        assert "Saved" not in page and "Mark as read" not in page and "Log in to save" in page
        assert "csrfmiddlewaretoken" not in page and 'action="/hide"' not in page
    for url in urls:  # and the visitors' copy is not what the member gets
        page = member.get(url).content.decode()
        assert "★</span> Saved" in page, url
