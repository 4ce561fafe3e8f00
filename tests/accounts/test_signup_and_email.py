"""Sign-up with email confirmation, log-in and password reset, through real email."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-7"


def signup(client, username="alice", email="alice@example.org"):
    return client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_sign_up_confirm_and_log_in(client, inbox):
    response = signup(client)
    assert response.status_code == 302
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "alice@example.org"
    assert "[Daily Papers]" in mail["Subject"]
    assert not EmailAddress.objects.get(email="alice@example.org").verified
    link = inbox.link(mail, "/accounts/confirm-email/")
    page = client.get(link)
    assert page.status_code == 200  # a GET only shows the confirmation button
    assert not EmailAddress.objects.get(email="alice@example.org").verified
    client.post(link)
    assert EmailAddress.objects.get(email="alice@example.org").verified
    client.logout()
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert "alice" in client.get("/").content.decode()


def test_unconfirmed_member_cannot_log_in_without_confirming(client, inbox):
    signup(client)
    client.logout()
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "/accounts/login/" not in response["Location"]
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, inbox, cast):
    client.post("/accounts/password/reset/", {"email": "owner@example.org"})
    assert len(inbox.messages) == 1
    link = inbox.link(inbox.messages[0], "/accounts/password/reset/key/")
    form = client.get(link, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "a-brand-new-password-9", "password2": "a-brand-new-password-9"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="owner").check_password("a-brand-new-password-9")


def test_signup_is_rate_limited(client, inbox, settings):
    from allauth.account import app_settings

    settings.ACCOUNT_RATE_LIMITS = {**app_settings.RATE_LIMITS, "signup": "2/h/ip"}
    assert signup(client, "a1", "a1@example.org").status_code == 302
    client.logout()
    assert signup(client, "a2", "a2@example.org").status_code == 302
    client.logout()
    assert signup(client, "a3", "a3@example.org").status_code == 429
    assert not User.objects.filter(username="a3").exists()


def test_login_is_rate_limited(client, cast, settings):
    from allauth.account import app_settings

    settings.ACCOUNT_RATE_LIMITS = {**app_settings.RATE_LIMITS, "login_failed": "2/m/ip"}
    pages = [
        client.post("/accounts/login/", {"login": "owner", "password": "wrong"}).content.decode()
        for _ in range(3)
    ]
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[-1]
    right = client.post("/accounts/login/", {"login": "owner", "password": "a-long-password-1"})
    assert "Too many failed login attempts" in right.content.decode()  # even the right one waits
