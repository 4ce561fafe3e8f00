"""Hostile input is shown inert: markup, scripts, broken LaTeX and huge texts."""

from __future__ import annotations

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.community.comments import post_comment
from dailypapers.community.markup import render_markdown

from .helpers import make_entry

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def test_script_and_html_in_title_abstract_authors_render_as_text(client, cast):
    """Tried: a <script> tag, an <img onerror> and a closing </textarea> in every field."""
    entry = make_entry(
        by=cast.owner,
        title=f"{SCRIPT} <img src=x onerror=alert(1)> title",
        abstract=f"</textarea>{SCRIPT} abstract <iframe src=//evil>",
        authors=[f"{SCRIPT} Mallory"],
    )
    for url in ("/", "/papers/trending", f"/papers/{entry.paper.arxiv_id}", "/u/owner"):
        page = client.get(url).content.decode()
        assert SCRIPT not in page, url
        assert "<img src=x" not in page and "<iframe" not in page, url
        assert "&lt;script&gt;" in page, url


def test_broken_latex_keeps_the_page(client):
    """Tried: unbalanced dollars, unknown macros, \\def loops, \\href javascript."""
    entry = make_entry(
        title=r"Broken $\frac{1}{ and $$ \undefinedmacro \def\a{\a\a}\a $",
        abstract=r"$\href{javascript:alert(1)}{x}$ and \( unclosed, $$\begin{matrix}$$",
    )
    response = client.get(f"/papers/{entry.paper.arxiv_id}")
    assert response.status_code == 200
    assert r"\undefinedmacro" in response.content.decode()


def test_100k_characters_everywhere(client, cast):
    """Tried: a 100,000-character title and abstract written straight to the database (the
    catalogue's upsert refuses them), 3,000 authors and a 20,000-character comment of one
    unbroken word (the longest a comment may be)."""
    entry = make_entry(by=cast.owner, authors=[f"Author {n}" for n in range(3000)])
    Paper.objects.filter(pk=entry.paper.pk).update(title="T" * 100_000, abstract="A" * 100_000)
    post_comment(cast.owner, entry.paper, "W" * 20_000)
    for url in ("/", f"/papers/{entry.paper.arxiv_id}", "/papers/feed.rss"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) < 300_000, url


@pytest.mark.parametrize(
    "body",
    [
        SCRIPT,
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "![img](https://evil.example/x.png)",
        '<a href="https://x" onclick="alert(1)">x</a>',
        "$<script>alert(1)</script>$",
        "$$\\href{javascript:alert(1)}{x}$$",
        "```\n</code></pre><script>alert(1)</script>\n```",
    ],
)
def test_comment_markup_is_sanitised(body):
    elements = _elements(render_markdown(body))
    for tag, attrs in elements:
        assert tag not in {"script", "img", "iframe", "style"}, body
        for name, value in attrs:
            assert not name.startswith("on"), body
            assert not (value or "").lower().startswith("javascript"), body


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


RLO = "\u202e"


def test_bidi_overrides_are_isolated(client, cast):
    """Tried: a right-to-left override (U+202E, never closed) in a comment, an author's
    name, a title and the name of who featured the paper on Hugging Face. Each sits in an
    element isolated from its surroundings (``<bdi>``, or ``dir="auto"`` with
    ``unicode-bidi: isolate``), so it cannot reorder the text after it."""
    entry = make_entry(title=f"{RLO}gnp.exe title", authors=[f"{RLO}Mallory", "Alice"])
    entry.submitted_by_name = f"{RLO}hf-user"
    entry.save()
    post_comment(cast.owner, entry.paper, f"{RLO}reordered? no")
    for url in (f"/papers/{entry.paper.arxiv_id}", "/"):
        page = client.get(url).content.decode()
        assert f"<bdi>{RLO}hf-user</bdi>" in page, url
        link = "/authors/by-name?name=%E2%80%AEMallory"
        assert f'class="authors" dir="auto"><a href="{link}">' in page, url
        assert f"<bdi>{RLO}Mallory</bdi>" in page, url  # each name isolated
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert f'<h1 class="tex" dir="auto">{RLO}gnp.exe' in page
    assert '<div class="comment-body tex" dir="auto"><p>\u202ereordered? no</p>' in page
    assert f"<bdi>{RLO}gnp.exe title</bdi>" in client.get("/").content.decode()
    from tests.conftest import REPO

    css = (REPO / "dailypapers/static/dailypapers/site.css").read_text()
    assert 'bdi, [dir="auto"], .comment-body, .authors { unicode-bidi: isolate; }' in css
