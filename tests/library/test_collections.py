"""Named collections: create, rename, describe, make public, delete; notes, order, removal.
Only the owner changes anything; a private collection is a 404 to everyone else."""

from __future__ import annotations

import pytest

from dailypapers.library.models import Collection, CollectionItem
from dailypapers.library.services import add, create_collection, reading_list
from tests.community.helpers import make_paper

pytestmark = pytest.mark.django_db


def _order(collection: Collection) -> list[int]:
    return list(collection.items.order_by("position", "id").values_list("paper_id", flat=True))


def test_create_rename_describe_publish_delete(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        "/collections", {"name": "Thesis reading", "description": "For chapter 2"}
    )
    made = Collection.objects.get(owner=cast.owner, name="Thesis reading")
    assert response["Location"] == "/c/owner/thesis-reading"
    assert not made.is_public and made.description == "For chapter 2"
    client.post(
        f"/collections/{made.pk}/edit",
        {"name": "Thesis: chapter 2", "description": "Changed", "public": "on"},
    )
    made.refresh_from_db()
    assert (made.name, made.slug, made.description, made.is_public) == (
        "Thesis: chapter 2",
        "thesis-chapter-2",
        "Changed",
        True,
    )
    listing = client.get("/collections").content.decode()
    assert "Thesis: chapter 2" in listing and "Public" in listing
    response = client.post(f"/collections/{made.pk}/delete")
    assert response["Location"] == "/collections"
    assert not Collection.objects.filter(pk=made.pk).exists()


def test_the_collections_page_counts_papers(client, cast):
    client.force_login(cast.owner)
    mine = create_collection(cast.owner, "Three papers")
    for _ in range(3):
        add(mine, make_paper())
    add(reading_list(cast.owner), make_paper())
    page = client.get("/collections").content.decode()
    assert "3 papers" in page and "1 paper<" in page
    assert page.index("Reading list") < page.index("Three papers")


def test_slugs_stay_unique_and_non_latin_names_get_one(client, cast):
    client.force_login(cast.owner)
    client.post("/collections", {"name": "Graphs"})
    client.post("/collections", {"name": "graphs!"})
    client.post("/collections", {"name": "глубокое обучение"})
    slugs = set(Collection.objects.filter(owner=cast.owner).values_list("slug", flat=True))
    assert slugs == {"graphs", "graphs-2", "collection"}
    for slug in slugs:
        assert client.get(f"/c/owner/{slug}").status_code == 200


def test_the_reading_list_keeps_its_name_and_cannot_be_deleted(client, cast):
    reading = reading_list(cast.owner)
    client.force_login(cast.owner)
    client.post(f"/collections/{reading.pk}/edit", {"name": "Other", "public": "on"})
    reading.refresh_from_db()
    assert reading.name == "Reading list" and reading.is_public
    client.post(f"/collections/{reading.pk}/delete")
    assert Collection.objects.filter(pk=reading.pk).exists()
    response = client.post("/collections", {"name": "reading list"})
    assert response.status_code == 400 and "is taken" in response.content.decode()


def test_a_private_collection_is_404_to_others_and_a_public_one_is_readable(client, cast):
    private = create_collection(cast.owner, "Secret")
    public = create_collection(cast.owner, "Shared", "Worth reading", public=True)
    add(private, make_paper(title="Private pick"))
    add(public, make_paper(title="Public pick"))
    for who in (None, cast.member):
        client.logout()
        if who:
            client.force_login(who)
        assert client.get("/c/owner/secret").status_code == 404
        assert client.get("/c/owner/secret.bib").status_code == 404
        assert client.get("/c/owner/secret.json").status_code == 404
        page = client.get("/c/owner/shared").content.decode()
        assert "Public pick" in page and "Worth reading" in page
        assert "Edit collection" not in page and "/move" not in page and "/note" not in page
        assert client.get("/c/owner/shared.bib").status_code == 200
    client.force_login(cast.owner)
    assert "Private pick" in client.get("/c/owner/secret").content.decode()
    assert client.get("/c/nobody/secret").status_code == 404
    assert client.get("/c/owner/no-such").status_code == 404


def test_only_the_owner_changes_anything(client, cast):
    mine = create_collection(cast.owner, "Mine", public=True)
    paper = make_paper()
    add(mine, paper)
    item = CollectionItem.objects.get()
    client.force_login(cast.member)
    attempts = [
        (f"/collections/{mine.pk}/edit", {"name": "Taken over"}),
        (f"/collections/{mine.pk}/delete", {}),
        (f"/collections/items/{item.pk}/note", {"note": "graffiti"}),
        (f"/collections/items/{item.pk}/move", {"direction": "down"}),
        (f"/collections/items/{item.pk}/remove", {}),
        (f"/collections/add/{make_paper().pk}", {"collection": str(mine.pk)}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 404, url
    mine.refresh_from_db()
    item.refresh_from_db()
    assert mine.name == "Mine" and item.note == "" and mine.items.count() == 1
    client.logout()
    for url, data in attempts[:5]:
        response = client.post(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert CollectionItem.objects.count() == 1


def test_add_to_a_collection_or_a_new_one_from_the_paper_page(client, cast):
    paper = make_paper()
    thesis = create_collection(cast.owner, "Thesis")
    client.force_login(cast.owner)
    url = f"/collections/add/{paper.pk}"
    back = client.post(url, {"collection": str(thesis.pk), "next": f"/papers/{paper.arxiv_id}"})
    assert back["Location"] == f"/papers/{paper.arxiv_id}"
    client.post(url, {"collection": str(thesis.pk)})  # twice: once
    client.post(url, {"collection": "new", "name": "Fresh one"})
    assert set(
        CollectionItem.objects.filter(paper=paper).values_list("collection__name", flat=True)
    ) == {"Thesis", "Fresh one"}
    assert thesis.items.count() == 1
    for bad in ("", "abc", "-1", "9" * 40):
        client.post(url, {"collection": bad})
    assert client.post(url, {"collection": "999999"}).status_code == 404
    client.post(url, {"collection": "new", "name": "   "})
    assert CollectionItem.objects.filter(paper=paper).count() == 2
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert "Thesis (has it)" in page and 'href="/c/owner/fresh-one"' in page


def test_notes_are_saved_escaped_and_limited(client, cast):
    mine = create_collection(cast.owner, "Notes", public=True)
    add(mine, make_paper())
    item = CollectionItem.objects.get()
    client.force_login(cast.owner)
    note = "Read §3 first.\n<script>alert(1)</script> & <b>bold</b>"
    response = client.post(f"/collections/items/{item.pk}/note", {"note": note})
    assert response["Location"] == f"/c/owner/notes#item-{item.pk}"
    item.refresh_from_db()
    assert item.note == note
    client.logout()
    page = client.get("/c/owner/notes").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Read §3 first.<br>" in page
    client.force_login(cast.owner)
    client.post(f"/collections/items/{item.pk}/note", {"note": "x" * 5001})
    item.refresh_from_db()
    assert item.note == note  # refused, unchanged
    client.post(f"/collections/items/{item.pk}/note", {"note": ""})
    item.refresh_from_db()
    assert item.note == ""


def test_move_up_and_down_and_remove(client, cast):
    mine = create_collection(cast.owner, "Ordered")
    papers = [make_paper() for _ in range(3)]
    for paper in papers:
        add(mine, paper)
    a, b, c = (p.pk for p in papers)
    items = {i.paper_id: i.pk for i in mine.items.all()}
    client.force_login(cast.owner)
    client.post(f"/collections/items/{items[c]}/move", {"direction": "up"})
    assert _order(mine) == [a, c, b]
    client.post(f"/collections/items/{items[a]}/move", {"direction": "up"})  # already first
    assert _order(mine) == [a, c, b]
    client.post(f"/collections/items/{items[a]}/move", {"direction": "down"})
    assert _order(mine) == [c, a, b]
    client.post(f"/collections/items/{items[b]}/move", {"direction": "down"})  # already last
    client.post(f"/collections/items/{items[b]}/move", {"direction": "sideways"})
    assert _order(mine) == [c, a, b]
    client.post(f"/collections/items/{items[a]}/remove")
    assert _order(mine) == [c, b]
    add(mine, papers[0])
    assert _order(mine) == [c, b, a]  # back at the end
    page = client.get("/c/owner/ordered").content.decode()
    assert page.count('aria-label="Move up') == 3


def test_hostile_names_and_descriptions(client, cast):
    client.force_login(cast.owner)
    response = client.post("/collections", {"name": "x" * 101})
    assert response.status_code == 400 and "too long" in response.content.decode()
    response = client.post("/collections", {"name": ""})
    assert response.status_code == 400 and "cannot be empty" in response.content.decode()
    response = client.post("/collections", {"name": "ok", "description": "d" * 2001})
    assert response.status_code == 400
    assert client.post("/collections", {"name": "a\x00b"}).status_code == 400  # NUL: refused
    client.post("/collections", {"name": "<img src=x onerror=alert(1)>", "public": "on"})
    made = Collection.objects.get(owner=cast.owner)
    assert made.name == "<img src=x onerror=alert(1)>"
    client.logout()
    page = client.get(f"/c/owner/{made.slug}").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    client.force_login(cast.owner)
    assert "<img src=x" not in client.get("/collections").content.decode()
    client.post("/collections", {"name": "control\x07chars\x1b[0m"})
    assert Collection.objects.filter(name="controlchars[0m").exists()


def test_non_numeric_and_unknown_ids_are_404(client, cast):
    client.force_login(cast.owner)
    for url in (
        "/collections/abc/edit",
        "/collections/1e3/delete",
        "/collections/items/x/note",
        "/collections/items/-1/move",
        "/collections/items/999999/remove",
        "/collections/999999/edit",
        "/collections/add/abc",
    ):
        assert client.post(url, {"name": "x"}).status_code == 404, url


def test_pages_need_a_login_and_gets_change_nothing(client, cast):
    for url in ("/saved", "/collections"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(cast.owner)
    page = client.get("/saved").content.decode()
    assert "Your reading list is empty" in page
    assert not Collection.objects.exists()  # a GET makes nothing
    mine = create_collection(cast.owner, "Mine")
    for url in (f"/collections/{mine.pk}/delete", f"/collections/{mine.pk}/edit"):
        assert client.get(url).status_code == 405
    assert Collection.objects.filter(pk=mine.pk).exists()
    header = client.get("/").content.decode()
    assert 'href="/saved"' in header and "Your papers" in header
    client.logout()
    assert "Your papers" not in client.get("/").content.decode()
