"""Save to the reading list and mark read, from cards, search and the paper page: htmx swaps
the buttons in place, a plain form goes back where it came from, a visitor is sent to log in."""

from __future__ import annotations

import pytest
from django.test import Client

from dailypapers.library.models import Collection, CollectionItem, ReadMark
from tests.community.helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_saving_makes_the_reading_list_once_and_adds_the_paper_once(client, cast):
    paper = make_paper()
    client.force_login(cast.member)
    for _ in range(2):
        response = client.post(f"/saved/papers/{paper.pk}", {"action": "save", "next": "/"})
        assert response.status_code == 302 and response["Location"] == "/"
    reading = Collection.objects.get(owner=cast.member, is_reading_list=True)
    assert reading.name == "Reading list" and reading.slug == "reading-list"
    assert list(reading.items.values_list("paper_id", flat=True)) == [paper.pk]
    assert Collection.objects.filter(owner=cast.member).count() == 1


def test_unsaving_takes_it_out_of_the_reading_list_only(client, cast):
    paper = make_paper()
    client.force_login(cast.member)
    client.post(f"/saved/papers/{paper.pk}", {"action": "save"})
    client.post(f"/collections/add/{paper.pk}", {"collection": "new", "name": "Thesis"})
    client.post(f"/saved/papers/{paper.pk}", {"action": "remove"})
    assert not CollectionItem.objects.filter(collection__is_reading_list=True).exists()
    assert CollectionItem.objects.get().collection.name == "Thesis"
    client.post(f"/saved/papers/{paper.pk}", {"action": "remove"})  # twice: still fine


def test_htmx_gets_the_buttons_back_in_their_new_state(client, cast):
    paper = make_paper(title="Swapped <b>in</b> place")
    client.force_login(cast.member)
    response = client.post(f"/saved/papers/{paper.pk}", {"action": "save"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="library-actions">')
    assert 'aria-pressed="true"' in body and "Saved" in body
    assert 'name="action" value="remove"' in body
    assert "<b>in</b>" not in body and "&lt;b&gt;in&lt;/b&gt;" in body
    response = client.post(f"/read/papers/{paper.pk}", {"action": "read"}, **HX)
    body = response.content.decode()
    assert 'name="action" value="unread"' in body and "Read" in body
    assert ReadMark.objects.filter(user=cast.member, paper=paper).count() == 1


def test_mark_read_toggles_and_is_idempotent(client, cast):
    paper = make_paper()
    client.force_login(cast.member)
    client.post(f"/read/papers/{paper.pk}", {"action": "read"})
    client.post(f"/read/papers/{paper.pk}", {"action": "read"})
    assert ReadMark.objects.filter(user=cast.member).count() == 1
    client.post(f"/read/papers/{paper.pk}", {"action": "unread"})
    assert not ReadMark.objects.exists()


def test_cards_search_and_the_paper_page_carry_the_buttons(client, cast):
    entry = make_entry(title="On the card")
    client.force_login(cast.member)
    client.post(f"/saved/papers/{entry.paper.pk}", {"action": "save"})
    for url in ("/", "/papers/trending", f"/papers/{entry.paper.arxiv_id}"):
        page = client.get(url).content.decode()
        assert f'action="/saved/papers/{entry.paper.pk}"' in page, url
        assert f'action="/read/papers/{entry.paper.pk}"' in page, url
        assert "★</span> Saved" in page, url
    paper_page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "Add to collection" in paper_page and "(has it)" in paper_page


def test_a_plain_form_goes_back_to_a_safe_next_only(client, cast):
    paper = make_paper()
    client.force_login(cast.member)
    url = f"/saved/papers/{paper.pk}"
    ok = client.post(url, {"action": "save", "next": "/papers/trending?x=1"})
    assert ok["Location"] == "/papers/trending?x=1"
    for hostile in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", "/" * 3000):
        response = client.post(url, {"action": "save", "next": hostile})
        assert response["Location"] == f"/papers/{paper.arxiv_id}", hostile
    # a NUL byte anywhere in the input is refused before any view runs
    assert client.post(url, {"action": "save", "next": "\x00/"}).status_code == 400


def test_a_visitor_is_sent_to_log_in_and_nothing_is_saved(client):
    paper = make_paper()
    response = client.post(f"/saved/papers/{paper.pk}", {"action": "save", "next": "/"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    htmx = client.post(f"/read/papers/{paper.pk}", {"action": "read"}, **HX)
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/accounts/login/")
    assert not CollectionItem.objects.exists() and not ReadMark.objects.exists()
    page = client.get("/papers/" + paper.arxiv_id).content.decode()
    assert "Log in to save" in page and "Add to collection" not in page


def test_get_changes_nothing_and_bad_ids_are_404(client, cast):
    paper = make_paper()
    client.force_login(cast.member)
    assert client.get(f"/saved/papers/{paper.pk}").status_code == 405
    assert client.get(f"/read/papers/{paper.pk}").status_code == 405
    assert not CollectionItem.objects.exists()
    for bad in ("abc", "1.5", "-1", "99999999", "9" * 30):
        assert client.post(f"/saved/papers/{bad}", {"action": "save"}).status_code == 404, bad
        assert client.post(f"/read/papers/{bad}").status_code == 404, bad


def test_a_post_without_the_csrf_token_is_refused(cast):
    paper = make_paper()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.member)
    assert strict.post(f"/saved/papers/{paper.pk}", {"action": "save"}).status_code == 403
    assert strict.post(f"/read/papers/{paper.pk}", {"action": "read"}).status_code == 403
    assert strict.post("/collections", {"name": "x"}).status_code == 403
    assert strict.post("/hide", {"hide_read": "on"}).status_code == 403
    assert not CollectionItem.objects.exists() and not Collection.objects.exists()
