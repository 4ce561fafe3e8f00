"""Every route served under /api/ is named in docs/api.md; /api/docs shows the /api/v1
schema with Swagger UI from the site's own static files, under the site's CSP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def served_paths(client) -> list[str]:
    paths = []
    for schema in ("/api/openapi.json", "/api/v1/openapi.json"):
        answer = client.get(schema)
        assert answer.status_code == 200
        paths += list(answer.json()["paths"])
    return paths


def test_every_api_route_is_documented(client):
    text = DOC.read_text()
    named = set(re.findall(r"`(?:(?:GET|POST|PUT|PATCH|DELETE) )?(/api/[^`\s]*)`", text))
    paths = served_paths(client)
    assert "/api/v1/papers/{arxiv_id}" in paths and "/api/papers/search" in paths
    missing = [path for path in paths if path not in named]
    assert not missing, f"docs/api.md does not name: {missing}"


def test_docs_page_shows_the_v1_schema_under_the_csp(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower()
    # No inline script runs: every script is a file from the site's static files, and the
    # settings block is JSON, which the browser does not execute.
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        if "src=" in attrs:
            src = re.search(r'src="([^"]+)"', attrs)[1]
            assert src.startswith("/static/")
            assert client.get(src).status_code == 200
        else:
            assert 'type="application/json"' in attrs, body[:80]
    for href in re.findall(r'<link[^>]+href="([^"]+)"', html):
        assert href.startswith("/static/") and client.get(href).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_older_schema_still_served(client):
    assert "/api/papers/search" in client.get("/api/openapi.json").json()["paths"]
    assert client.get("/api/v1/docs").status_code == 404


def test_no_two_schemas_share_a_name():
    """The OpenAPI document names each schema once: two classes of one name would make one
    operation point at the other's fields (a write's answer checked against a read's)."""
    import inspect

    from ninja import Schema

    from dailypapers.api.v1 import base, lists, papers, people, schemas, search, write

    seen: dict[str, str] = {}
    for module in (base, schemas, lists, papers, people, search, write):
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Schema)
                and value.__module__ == module.__name__
            ):
                assert name not in seen, f"{name} in {module.__name__} and {seen[name]}"
                seen[name] = module.__name__
