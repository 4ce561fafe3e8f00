"""No input gets a 5xx: a corpus of bad values sent to every URL parameter, every query
parameter the pages and the API read, and every field of every form the site shows.

Tried, on both databases: a NUL byte, 100,000 characters, non-numeric and out-of-range
numbers, invalid UTF-8 (percent-encoded bytes that are not UTF-8), right-to-left overrides,
hostile HTML and LaTeX, empty and blank values. Routes and forms are found, not listed:
every URL pattern of the site (with each value in each of its parameters), and every form
on the pages a visitor, a member and a moderator see (with each value in each field, the
other fields left as the page filled them)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db

INVALID_UTF8 = object()
"""Stands for the bytes FF FE, percent-encoded: not UTF-8."""

BAD: list[object] = [
    "a\x00b",
    "x" * 100_000,
    "abc",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    INVALID_UTF8,
    "\u202egnp.exe\u202c",
    "<script>alert(1)</script>",
    r"$\def\a{\a\a}\a$ \frac{",
    "",
    "   ",
]
QUERY_PARAMETERS = ["q", "cat", "date_from", "date_to", "code", "sort", "page", "tab", "next"]
QUERY_PARAMETERS += ["id", "limit", "mode", "direction", "p"]
SKIP_PREFIXES = ("admin/", "static/")


def _in_url(value: object) -> str:
    return "%FF%FE" if value is INVALID_UTF8 else quote(str(value), safe="")


def _in_form(value: object) -> str:
    return "%FF%FE" if value is INVALID_UTF8 else quote(str(value), safe="")


def _patterns(resolvers=None, prefix: str = ""):
    """(route, names of its parameters) for every URL pattern of the site."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _urls(route: str, value: object) -> list[str]:
    """The route with the value in each of its parameters in turn (the others made valid)."""
    route = route.lstrip("^").rstrip("$")
    if route.startswith(SKIP_PREFIXES):
        return []
    params = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", route)
    if not params:
        return []
    urls = []
    for index in range(len(params)):
        count = -1

        def fill(match: re.Match[str], index: int = index) -> str:
            nonlocal count
            count += 1
            return _in_url(value) if count == index else "1"

        urls.append("/" + re.sub(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)", fill, route))
    return urls


class _Forms(HTMLParser):
    """The forms of a page: action, method and the fields with the values the page gave."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower()}
            )
            self.forms[-1]["fields"] = {}
        elif self.forms and tag in {"input", "select", "button"} and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                self.forms[-1]["fields"].setdefault(a["name"], "")
            else:
                self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif self.forms and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1]["fields"][a["name"]] = ""

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def _forms_of(client: Client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        form["action"] = urlsplit(form["action"]).path or url
    return parser.forms


def _send(client: Client, method: str, url: str, fields: dict[str, object]) -> int:
    body = "&".join(f"{quote(k)}={_in_form(v)}" for k, v in fields.items())
    if method == "post":
        response = client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.get(f"{url}?{body}")
    return response.status_code


@pytest.fixture
def site(cast):
    from dailypapers.community.comments import post_comment

    entry = make_entry(by=cast.owner)
    comment = post_comment(cast.owner, entry.paper, "A first comment.")
    post_comment(cast.member, entry.paper, "A reply.", comment)
    return entry, comment


def _clients(cast) -> dict[str, Client]:
    clients = {"visitor": Client(raise_request_exception=False)}
    for name in ("owner", "moderator"):
        client = Client(raise_request_exception=False)
        client.force_login(getattr(cast, name))
        clients[name] = client
    return clients


def test_every_url_parameter(cast, site):
    failures = []
    routes = list(_patterns())
    assert len(routes) > 40, routes  # the site's own routes, allauth's and the API's
    for name, client in _clients(cast).items():
        for route in routes:
            for value in BAD:
                for url in _urls(route, value):
                    for method in ("get", "post"):
                        status = getattr(client, method)(url).status_code
                        if status >= 500:
                            failures.append((name, method, url[:120], status))
    assert not failures, failures[:20]


def test_every_query_parameter(cast, site):
    entry, _ = site
    pages = ["/", "/search", "/papers/trending", "/submit", "/u/owner", "/api/papers/search"]
    pages += [f"/papers/{entry.paper.arxiv_id}", "/papers/week/2025-W01", "/papers/feed.rss"]
    pages += ["/accounts/login/", "/papers/date/2025-01-01", "/papers/month/2025-01"]
    failures = []
    for name, client in _clients(cast).items():
        for page in pages:
            for parameter in QUERY_PARAMETERS:
                for value in BAD:
                    status = client.get(f"{page}?{parameter}={_in_url(value)}").status_code
                    if status >= 500:
                        failures.append((name, page, parameter, repr(value)[:40], status))
            every = urlencode(dict.fromkeys(QUERY_PARAMETERS, "a\x00b"))
            if client.get(f"{page}?{every}").status_code >= 500:
                failures.append((name, page, "all at once"))
    assert not failures, failures[:20]


def test_every_form_field(cast, site, settings):
    settings.RATE_COMMENT = settings.RATE_SUBMIT = settings.RATE_VOTE = "100000/m"
    settings.ACCOUNT_RATE_LIMITS = False
    settings.FETCH_MISSING_PAPERS = False
    entry, comment = site
    pages = ["/", f"/papers/{entry.paper.arxiv_id}", "/submit", f"/comments/{comment.pk}/edit"]
    pages += ["/u/owner", "/u/member", "/search"]
    visitor_pages = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    failures = []
    seen_fields = set()
    for name, client in _clients(cast).items():
        for page in visitor_pages if name == "visitor" else pages:
            if name == "moderator" and page.endswith("/edit"):
                continue  # the owner's comment: only the owner may edit it
            for form in _forms_of(client, page):
                for field in form["fields"]:
                    if field == "csrfmiddlewaretoken":
                        continue
                    seen_fields.add((form["action"], field))
                    for value in BAD:
                        fields: dict[str, object] = {**form["fields"], field: value}
                        status = _send(client, form["method"], form["action"], fields)
                        if status >= 500:
                            failures.append((name, form["action"], field, repr(value)[:40]))
    assert not failures, failures[:20]
    fields = {field for _, field in seen_fields}
    # The forms it found include the ones that gave 500s before.
    assert {"body", "parent", "id", "login", "password", "email", "q", "reason"} <= fields, fields


def test_a_nul_byte_is_refused_with_a_reason(cast, site, client):
    entry, _ = site
    client.force_login(cast.owner)
    response = client.post(f"/comments/on/{entry.paper.pk}", {"body": "a\x00b"})
    assert response.status_code == 400
    assert b"NUL character" in response.content
    assert client.get("/u/a%00b").status_code == 400
    # Nothing was lost or changed: the comments are as they were.
    from dailypapers.community.models import Comment

    assert Comment.objects.filter(paper=entry.paper).count() == 2


def test_a_reply_to_a_non_numeric_parent_gets_a_message(cast, site, client):
    entry, _ = site
    client.force_login(cast.owner)
    response = client.post(
        f"/comments/on/{entry.paper.pk}", {"body": "Hello", "parent": "abc"}, follow=True
    )
    assert response.status_code == 200
    assert "That comment cannot be replied to." in response.content.decode()
