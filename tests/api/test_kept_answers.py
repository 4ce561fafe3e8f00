"""A kept ``/api/daily_papers`` answer is served at the WSGI door (``api.kept``): the same
bytes and headers the whole site sends, no query, no middleware; renewed by a vote, still
counted against the rate; requests that could get another answer (a cookie, a token, an
``Origin``, a conditional header, another method) go through the site."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from dailypapers.api import kept
from dailypapers.community.models import DailyEntry
from dailypapers.community.votes import toggle_vote
from tests.community.helpers import make_entry, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(fresh_cache, settings):
    from dailypapers.wsgi import application

    settings.PAGE_CACHE_SECONDS = 60
    # as Django's test client does: the test's connection stays open across requests
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    kept._final.answers.clear()
    kept._final.size = 0
    for i in range(3):
        make_entry(day=date(2025, 10, 2), by=make_user(f"user{i}"), upvotes=i)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        kept._final.answers.clear()
        kept._final.size = 0


def call(application, path, method="GET", **headers):
    """One request through the WSGI application, as gunicorn makes it."""
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **{"HTTP_" + name.upper(): value for name, value in headers.items()},
    }
    started = []
    body = application(environ, lambda status, headers: started.append((status, headers)))
    try:
        content = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    status, header_list = started[0]
    return int(status.split()[0]), {k.title(): v for k, v in header_list}, content


PATH = "/api/daily_papers?date=2025-10-02&limit=2"


def test_the_second_plain_request_is_answered_at_the_door(
    door, django_assert_num_queries, monkeypatch
):
    first = call(door, PATH)
    assert first[0] == 200 and 'rel="next"' in first[1]["Link"]
    assert first[1]["X-Content-Type-Options"] == "nosniff"  # the stack's headers
    assert "Content-Security-Policy" in first[1]
    site = door.application
    monkeypatch.setattr(door, "application", None)  # the site is not called again
    with django_assert_num_queries(0):
        again = call(door, PATH)
    assert again == first  # every byte, every header
    monkeypatch.setattr(door, "application", site)
    # the same list asked otherwise is made by the site, and kept under its own address
    other = call(door, "/api/daily_papers?limit=2&date=2025-10-02")
    assert json.loads(other[2]) == json.loads(first[2])


def test_a_vote_renews_it_at_once(door, django_capture_on_commit_callbacks):
    first = call(door, PATH)
    top = json.loads(first[2])[0]["paper"]
    entry = DailyEntry.objects.get(paper__arxiv_id=top["id"])
    with django_capture_on_commit_callbacks(execute=True):
        toggle_vote(make_user("voter"), entry)
    renewed = call(door, PATH)
    assert json.loads(renewed[2])[0]["paper"]["upvotes"] == top["upvotes"] + 1


def test_answers_at_the_door_count_against_the_rate(door, settings):
    settings.RATE_API = "3/m"
    answers = [call(door, PATH) for _ in range(5)]
    assert [a[0] for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3][1]["Retry-After"] == "60"
    assert json.loads(answers[3][2]) == {"error": "Too many requests: at most 3 per minute."}
    settings.RATE_API = "5/m"  # each request was counted once: two more get nothing
    assert call(door, PATH)[0] == 429


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {"Cookie": "sessionid=x"}),
        ("GET", {"Authorization": "Bearer hf_x"}),
        ("GET", {"If-None-Match": '"x"'}),
        ("GET", {"HX-Request": "true"}),
        ("HEAD", {}),
    ],
)
def test_requests_that_may_differ_go_through_the_site(door, monkeypatch, method, headers):
    call(door, PATH)
    calls = []
    site = door.application

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return site(environ, start_response)

    monkeypatch.setattr(door, "application", counted)
    status, _, body = call(
        door, PATH, method, **{k.replace("-", "_"): v for k, v in headers.items()}
    )
    assert status == 200 and calls == ["/api/daily_papers"]
    assert (body == b"") == (method == "HEAD")


def test_a_cross_origin_read_gets_its_cors_headers(door):
    call(door, PATH)
    status, headers, _ = call(door, PATH, Origin="https://example.org")
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == "*"


def test_a_refusal_is_never_kept(door, monkeypatch):
    bad = "/api/daily_papers?date=2025-13-40"
    assert call(door, bad)[0] == 400
    assert not kept._final.answers
    assert call(door, bad)[0] == 400
