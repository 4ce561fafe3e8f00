"""``/settings/data``: a reader downloads their own records, and nobody else's."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from dailypapers.community.models import Comment
from dailypapers.library.models import Collection
from tests.api.test_portable import fill


@pytest.mark.django_db
def test_the_download_holds_the_readers_things_and_no_one_elses(client: Client) -> None:
    cast = fill()
    member_collection = Collection.objects.get(owner=cast["member"])
    client.force_login(cast["owner"])

    page = client.get("/settings/email")
    assert page.status_code == 200
    assert 'href="/settings/data"' in page.content.decode()

    response = client.get("/settings/data")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = response.content.decode()
    data = json.loads(text)

    assert data["account"]["username"] == "owner"
    assert "password" not in data["account"] and "pbkdf2" not in text and "md5$" not in text
    assert {e["email"] for e in data["email_addresses"]} == {
        "owner@example.org",
        "owner@elsewhere.example",
    }
    assert [e["paper"] for e in data["entries_submitted"]] == [cast["c1"].paper.arxiv_id]
    assert {v["user"] for v in data["votes"]} == {"owner"}
    assert [c["body"] for c in data["comments"]] == ["Edited twice"]
    assert [r["body"] for r in data["comment_revisions"]] == ["First **post**", "Edited *once*"]
    assert {c["name"] for c in data["collections"]} == {"Reading list", "Reading group"}
    assert "Read §3 <b>first</b>" in [i["note"] for i in data["collection_items"]]
    assert {i["owner"] for i in data["collection_items"]} == {"owner"}
    assert [m["user"] for m in data["read_marks"]] == ["owner"]
    assert {f["label"] for f in data["follows"] if f["kind"] == "search"} == {"Attention"}
    assert [s["email"] for s in data["subscriptions"]] == ["owner@example.org"]
    assert "unsubscribe_token" not in data["subscriptions"][0]
    assert [t["name"] for t in data["api_tokens"]] == ["laptop"]
    assert "digest" not in data["api_tokens"][0]
    assert data["reader_state"][0]["hide_read"] is True

    # none of another reader's
    assert member_collection.slug not in [c["slug"] for c in data["collections"]] or all(
        c["owner"] == "owner" for c in data["collections"]
    )
    assert "A reply to @owner" not in text  # the member's comment, though it answers the owner
    assert "q=diffusion" not in text  # the member's saved search
    assert "anon@example.org" not in text and "member@example.org" not in text
    assert "Buy things" not in text
    assert Comment.objects.filter(author=cast["member"]).exists()


@pytest.mark.django_db
def test_the_download_asks_to_sign_in(client: Client) -> None:
    response = client.get("/settings/data")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/settings/data").status_code in (302, 405)
