"""The API tokens page: a member makes a token (its secret shown once), sees it listed with
its scope, creation and last use, and revokes it; nobody else can."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dailypapers.accounts.models import ApiToken
from tests.community.helpers import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return make_user("ada")


@pytest.fixture
def browser(ada):
    client = Client()
    client.force_login(ada)
    return client


def create(browser, name="my bot", scope="write"):
    answer = browser.post("/settings/tokens", {"name": name, "scope": scope})
    found = re.search(r'id="token-secret">(dp_[A-Za-z0-9_-]+)<', answer.content.decode())
    return answer, found.group(1) if found else None


def api_call(secret):
    return Client().get("/api/v1/me/collections", HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_visitors_are_sent_to_log_in(client):
    answer = client.get("/settings/tokens")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    assert client.post("/settings/tokens", {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_the_secret_is_shown_once(browser, ada):
    answer, secret = create(browser)
    assert answer.status_code == 200 and secret
    assert "Copy it now: it will not be shown again." in answer.content.decode()
    assert answer["Cache-Control"] == "private, no-store"
    token = ApiToken.objects.get(user=ada)
    assert token.name == "my bot" and token.scope == "write" and secret not in token.digest
    listing = browser.get("/settings/tokens").content.decode()
    assert secret not in listing and "my bot" in listing and token.prefix in listing
    assert "read and write" in listing and "never" in listing


def test_last_use_shows_after_an_api_call(browser):
    _, secret = create(browser, "script", "read")
    row = re.compile(r'<tr id="token-\d+">.*?</tr>', re.S)
    assert "never" in row.search(browser.get("/settings/tokens").content.decode()).group(0)
    assert api_call(secret).status_code == 403  # a read token: it was used all the same
    shown = row.search(browser.get("/settings/tokens").content.decode()).group(0)
    assert "never" not in shown and shown.count("<time") == 2


def test_revoking_stops_the_token(browser, ada):
    _, secret = create(browser)
    assert api_call(secret).status_code == 200
    token = ApiToken.objects.get(user=ada)
    answer = browser.post(f"/settings/tokens/{token.pk}/revoke", follow=True)
    assert "Token revoked" in answer.content.decode()
    assert "my bot" not in answer.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api_call(secret).status_code == 401
    assert browser.post(f"/settings/tokens/{token.pk}/revoke").status_code == 404


def test_another_member_cannot_revoke_yours(browser, ada):
    _, secret = create(browser)
    token = ApiToken.objects.get(user=ada)
    other = Client()
    other.force_login(make_user("bob"))
    assert other.post(f"/settings/tokens/{token.pk}/revoke").status_code == 404
    assert "my bot" not in other.get("/settings/tokens").content.decode()
    assert api_call(secret).status_code == 200


def test_revoke_needs_a_post_with_the_csrf_token(ada):
    _, secret = create_with(ada)
    token = ApiToken.objects.get(user=ada)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ada)
    assert strict.get(f"/settings/tokens/{token.pk}/revoke").status_code == 405
    assert strict.post(f"/settings/tokens/{token.pk}/revoke").status_code == 403
    assert api_call(secret).status_code == 200


def create_with(user):
    client = Client()
    client.force_login(user)
    return create(client)


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("bot\x00", None),  # the site refuses NUL bytes in forms
        ("n" * 10_000, "n" * 100),
        ('<script>alert(1)</script><b onclick="x">', '<script>alert(1)</script><b onclick="x">'),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_hostile_names(browser, ada, name, kept):
    answer, secret = create(browser, name)
    assert answer.status_code < 500
    if kept is None:
        assert answer.status_code == 400 and not ApiToken.objects.exists()
        return
    assert secret and ApiToken.objects.get(user=ada).name == kept
    listing = browser.get("/settings/tokens").content.decode()
    assert "<script>alert(1)" not in listing and "<b onclick" not in listing


@pytest.mark.parametrize(("name", "scope"), [("", "read"), ("   ", "read"), ("x", "admin")])
def test_refusals_are_explained(browser, name, scope):
    answer, secret = create(browser, name, scope)
    assert answer.status_code == 400 and secret is None
    assert 'class="message error"' in answer.content.decode()
    assert not ApiToken.objects.exists()


def test_the_settings_pages_link_to_each_other(browser, ada):
    email = browser.get("/settings/email").content.decode()
    tokens = browser.get("/settings/tokens").content.decode()
    assert 'href="/settings/tokens"' in email and 'href="/settings/email"' in tokens
    assert 'href="/settings/email"' in browser.get("/u/ada").content.decode()
