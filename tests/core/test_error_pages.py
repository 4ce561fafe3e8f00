"""Not found, forbidden, a refused form, too many requests and a server error: each is a page
in the site's layout (header, navigation, footer) with a way on (a search box, today's
papers), rendered as in production (DEBUG off). The 500 page renders with the database down,
and a plain page stands in when even it cannot be rendered."""

from __future__ import annotations

import re

import pytest
from allauth.account import app_settings as allauth_settings
from django.db import OperationalError, connection
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]


def assert_in_layout(html: str, title: str) -> None:
    assert '<header class="site-header">' in html
    assert '<nav aria-label="Main">' in html
    assert '<footer class="site-footer">' in html
    assert f"<title>{title} · Daily Papers</title>" in html
    assert re.search(r'<form class="way-on-search" method="get" action="/search"', html)
    assert (
        '<a href="/">Today&#x27;s papers</a>' in html or '<a href="/">Today\'s papers</a>' in html
    )


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


@pytest.fixture
def quiet_client(production):
    client = Client(raise_request_exception=False)
    return client


@pytest.mark.parametrize(
    "path",
    ["/no/such/page", "/u/nobody", "/papers/date/not-a-date", "/%00", "/" + "x" * 5000],
)
def test_not_found(client, production, path):
    response = client.get(path)
    assert response.status_code in {400, 404}
    if response.status_code == 404:
        html = response.content.decode()
        assert_in_layout(html, "Page not found")
        assert "There is no page at this address" in html


def test_not_found_does_not_echo_the_address(client, production):
    response = client.get("/<script>alert(1)</script>")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.content.decode()


def test_forbidden(client, production):
    response = client.get("/test/refuse")
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html, "Not allowed")
    assert 'href="/accounts/login/?next=/test/refuse"' in html


def test_refused_form_says_what_to_do(production):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "someone", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html, "Form expired")
    assert "reload the page and send the form again" in html


def test_too_many_sign_ups(client, production):
    production.ACCOUNT_RATE_LIMITS = {**allauth_settings.RATE_LIMITS, "signup": "1/h/ip"}
    password = "correct-horse-battery-7"
    for name in ("a1", "a2"):
        client.logout()
        response = client.post(
            "/accounts/signup/",
            {
                "username": name,
                "email": f"{name}@example.org",
                "password1": password,
                "password2": password,
            },
        )
    assert response.status_code == 429
    assert_in_layout(response.content.decode(), "Too many requests")


def test_server_error(quiet_client):
    response = quiet_client.get("/test/crash")
    assert response.status_code == 500
    html = response.content.decode()
    assert_in_layout(html, "Something went wrong")
    assert "a bug" not in html  # nothing of the failure is shown


def test_server_error_with_the_database_down(quiet_client):
    def down(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(down):
        response = quiet_client.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_in_layout(html, "Something went wrong")
    assert '<a href="/accounts/login/">Log in</a>' in html  # no member to look up


def test_server_error_page_that_cannot_render_falls_back(quiet_client, production, tmp_path):
    (tmp_path / "500.html").write_text('<h1>{% url "no-such-view" %}</h1>')
    production.TEMPLATES = [
        {**production.TEMPLATES[0], "DIRS": [tmp_path, *production.TEMPLATES[0]["DIRS"]]}
    ]
    response = quiet_client.get("/test/crash")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html and '<a href="/">' in html


def test_api_errors_stay_json(client, production):
    response = client.get("/api/v1/papers/not-an-id-at-all")
    assert response["Content-Type"].startswith("application/json")
    response = client.get("/api/no/such/thing")
    assert response["Content-Type"].startswith("application/json")
