"""/api/v1's writes on a reader's own things: the reading list, collections with notes, and
the digest subscription; each change shows on its page, each refusal has the page's words."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from dailypapers.digests.models import Subscription
from dailypapers.library.models import Collection, CollectionItem
from tests.community.helpers import make_paper, make_user

from .write_helpers import Api, refusal, shows, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(fresh_cache):
    pass


@pytest.fixture
def owner(db):
    return make_user("owner")


@pytest.fixture
def api(client, owner):
    return Api(client, token_for(owner))


@pytest.fixture
def page(owner):
    browser = Client()
    browser.force_login(owner)
    return browser


# --- the reading list ------------------------------------------------------------------------


def test_save_and_unsave_show_on_the_reading_list(api, page, owner):
    paper = make_paper(title="A paper worth keeping")
    answer = api.post(f"/papers/{paper.arxiv_id}/save")
    assert answer.status_code == 200 and answer.json() == {
        "arxiv_id": paper.arxiv_id,
        "saved": True,
    }
    assert api.post(f"/papers/{paper.arxiv_id}/save").status_code == 200  # twice: once
    assert CollectionItem.objects.filter(collection__owner=owner, paper=paper).count() == 1
    assert "A paper worth keeping" in page.get("/saved").content.decode()
    assert api.delete(f"/papers/{paper.arxiv_id}/save").json()["saved"] is False
    assert "A paper worth keeping" not in page.get("/saved").content.decode()
    refusal(api.post("/papers/2501.99999/save"), 404, "paper_not_found")
    refusal(api.post("/papers/garbage/save"), 422, "invalid_arxiv_id")


# --- collections -----------------------------------------------------------------------------


def test_create_rename_and_delete_a_collection(api, page, owner):
    made = api.post("/me/collections", {"name": "Graph <b>papers</b>", "description": "To read"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["name"] == "Graph <b>papers</b>" and body["public"] is False
    assert body["url"] == "/c/owner/graph-bpapersb" and body["papers"] == 0
    listing = page.get("/collections").content.decode()
    assert "Graph &lt;b&gt;papers&lt;/b&gt;" in listing and "<b>papers</b>" not in listing

    renamed = api.patch(f"/me/collections/{body['id']}", {"name": "Graphs", "public": True})
    assert renamed.status_code == 200
    assert renamed.json()["url"] == "/c/owner/graphs" and renamed.json()["public"] is True
    assert renamed.json()["description"] == "To read"  # left out: kept
    assert Client().get("/c/owner/graphs").status_code == 200  # public now, for anyone
    mine = api.get("/me/collections").json()
    assert [c["name"] for c in mine] == ["Graphs"]

    gone = api.delete(f"/me/collections/{body['id']}")
    assert gone.status_code == 200 and gone.json() == {"id": body["id"], "deleted": True}
    assert not Collection.objects.filter(pk=body["id"]).exists()
    refusal(api.delete(f"/me/collections/{body['id']}"), 404, "collection_not_found")


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("   ", 422, "name_empty"),
        ("\x00\x00", 422, "name_empty"),
        ("n" * 10_000, 422, "name_too_long"),
        ("reading LIST", 409, "name_taken"),
    ],
)
def test_collection_refusals_have_the_pages_words(api, page, name, status, code):
    message = refusal(api.post("/me/collections", {"name": name}), status, code)
    if "\x00" in name:  # the site turns NUL bytes in a form away before any page sees them
        return
    shown = page.post("/collections", {"name": name})
    assert shown.status_code == 400 and shows(shown, message)


def test_the_reading_list_is_kept(api, page, owner):
    paper = make_paper()
    api.post(f"/papers/{paper.arxiv_id}/save")
    reading = Collection.objects.get(owner=owner, is_reading_list=True)
    message = refusal(api.delete(f"/me/collections/{reading.pk}"), 409, "reading_list_kept")
    assert shows(page.post(f"/collections/{reading.pk}/delete", follow=True), message)
    renamed = api.patch(f"/me/collections/{reading.pk}", {"name": "Mine"})
    assert renamed.json()["name"] == "Reading list"  # it keeps its name, as on the page


def test_papers_and_notes_in_a_collection_show_on_its_page(api, page, owner):
    collection = api.post("/me/collections", {"name": "Theory"}).json()
    paper = make_paper(title="On surface codes")
    path = f"/me/collections/{collection['id']}/papers/{paper.arxiv_id}"
    added = api.put(path)
    assert added.status_code == 200 and added.json()["added"] is True
    assert api.put(path).json()["added"] is False  # twice: once
    noted = api.patch(path, {"note": "Read §3 <em>first</em> $x^2$"})
    assert noted.status_code == 200 and noted.json()["note"] == "Read §3 <em>first</em> $x^2$"
    html = page.get(collection["url"]).content.decode()
    assert "On surface codes" in html and "Read §3 &lt;em&gt;first&lt;/em&gt;" in html
    message = refusal(api.patch(path, {"note": "n" * 5001}), 422, "note_too_long")
    item = CollectionItem.objects.get(collection_id=collection["id"], paper=paper)
    assert shows(
        page.post(f"/collections/items/{item.pk}/note", {"note": "n" * 5001}, follow=True), message
    )
    removed = api.delete(path)
    assert removed.json() == {
        "collection": collection["id"],
        "arxiv_id": paper.arxiv_id,
        "removed": True,
    }
    assert "On surface codes" not in page.get(collection["url"]).content.decode()
    refusal(api.delete(path), 404, "not_in_collection")
    refusal(api.patch(path, {"note": "x"}), 404, "not_in_collection")


def test_another_members_collection_is_not_found(client, api):
    other = make_user("other")
    theirs = Api(client, token_for(other)).post("/me/collections", {"name": "Theirs"}).json()
    paper = make_paper()
    refusal(
        api.patch(f"/me/collections/{theirs['id']}", {"name": "Mine"}), 404, "collection_not_found"
    )
    refusal(api.delete(f"/me/collections/{theirs['id']}"), 404, "collection_not_found")
    refusal(
        api.put(f"/me/collections/{theirs['id']}/papers/{paper.arxiv_id}"),
        404,
        "collection_not_found",
    )
    assert Collection.objects.get(pk=theirs["id"]).name == "Theirs"
    assert not CollectionItem.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/me/collections/abc", {"name": "x"}),
        ("patch", "/me/collections/0", {"name": "x"}),
        ("delete", "/me/collections/" + "9" * 30, None),
        ("put", "/me/collections/1/papers/<svg>", None),
        ("post", "/me/collections", {"name": ["a"]}),
        ("post", "/me/collections", {"name": "ok", "public": "maybe"}),
        ("patch", "/me/collections/1/papers/2501.00001", {"note": 5}),
        ("put", "/me/digest", {"hour": "seven"}),
        ("put", "/me/digest", {"categories": "cs.LG"}),
        ("put", "/me/digest", {"weekday": 2**80}),
        ("put", "/me/digest", True),
        ("patch", "/me/collections/1", [1]),
    ],
)
def test_bad_input_is_a_json_4xx(api, method, path, body):
    answer = api.call(method, path, body)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("application/json") and answer.json()["code"]


# --- the digest subscription -----------------------------------------------------------------


def test_subscribe_change_pause_resume_and_leave(api, page, owner):
    before = api.get("/me/digest")
    assert before.status_code == 200
    assert before.json()["subscribed"] is False and before.json()["address"] == "owner@example.org"

    made = api.put("/me/digest", {})
    assert made.status_code == 200, made.content
    assert made.json()["subscribed"] is True and made.json()["frequency"] == "daily"
    sub = Subscription.objects.get(email="owner@example.org")
    assert sub.user == owner and sub.confirmed_at is not None and sub.hour == 7
    assert "Subscribed: daily, at 07:00 UTC." in page.get("/settings/email").content.decode()

    from dailypapers.catalog.models import Category

    Category.objects.get_or_create(code="cs.LG")
    changed = api.put(
        "/me/digest",
        {
            "frequency": "weekly",
            "weekday": 4,
            "hour": 18,
            "time_zone": "Europe/Paris",
            "categories": ["cs.LG"],
            "personal_picks": False,
        },
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["categories"] == ["cs.LG"] and changed.json()["personal_picks"] is False
    html = page.get("/settings/email").content.decode()
    assert "Subscribed: weekly, at 18:00 Europe/Paris on Fridays." in html
    assert api.put("/me/digest", {"hour": 6}).json()["frequency"] == "weekly"  # the rest kept

    assert api.post("/me/digest/pause").json()["paused"] is True
    assert "Paused." in page.get("/settings/email").content.decode()
    assert Subscription.objects.get(pk=sub.pk).paused_at is not None
    assert api.post("/me/digest/resume").json()["paused"] is False
    assert Subscription.objects.get(pk=sub.pk).paused_at is None

    left = api.delete("/me/digest")
    assert left.status_code == 200 and left.json()["subscribed"] is False
    assert Subscription.objects.get(pk=sub.pk).unsubscribed_at is not None
    assert ">Subscribe</button>" in page.get("/settings/email").content.decode()
    for path in ("/me/digest/pause", "/me/digest/resume"):
        refusal(api.post(path), 409, "not_subscribed")
    refusal(api.delete("/me/digest"), 409, "not_subscribed")


@pytest.mark.parametrize(
    "options",
    [
        {"hour": 99},
        {"frequency": "hourly"},
        {"weekday": 9},
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "Europe/Paris\x00"},
        {"categories": ["no.such"]},
        {"categories": ["cs\x00LG"]},
    ],
)
def test_bad_options_have_the_pages_words(api, page, options):
    message = refusal(api.put("/me/digest", options), 422, "invalid_option")
    assert not Subscription.objects.exists()
    if "\\x00" in repr(options):
        return  # the site turns NUL bytes in a form away before any page sees them
    form = {
        "action": "subscribe",
        "frequency": "daily",
        "weekday": "0",
        "hour": "7",
        "time_zone": "UTC",
    }
    form.update(
        {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in options.items()}
    )
    shown = page.post("/settings/email", form)
    assert shown.status_code == 400 and shows(shown, message)


def test_an_unconfirmed_address_cannot_subscribe(client):
    stranger = make_user("stranger", confirmed=False)
    api = Api(client, token_for(stranger))
    assert api.get("/me/digest").json() == {
        "address": None,
        "subscribed": False,
        "paused": False,
        "bounced": False,
        "frequency": None,
        "weekday": None,
        "hour": None,
        "time_zone": None,
        "categories": [],
        "personal_picks": None,
    }
    message = refusal(api.put("/me/digest", {}), 403, "email_unconfirmed")
    refusal(api.post("/me/digest/pause"), 403, "email_unconfirmed")
    browser = Client()
    browser.force_login(stranger)
    html = browser.get("/settings/email").content.decode()
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert message in text
    assert not Subscription.objects.exists()
