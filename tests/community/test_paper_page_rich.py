"""The paper page as rich as a reader expects: links above the abstract, addresses in the text
made links, links set by hand (with who set them), GitHub stars, link-preview tags and a
first comment with a submission."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_paper
from dailypapers.community.markup import linkify_text, render_markdown
from dailypapers.community.models import Comment, DailyEntry, PaperLinks

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db

REL = 'rel="nofollow noopener ugc"'


class _Head(HTMLParser):
    """The page's meta tags (by property or name) and its canonical link."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (key := found.get("property") or found.get("name")):
            self.meta.setdefault(key, []).append(found.get("content") or "")
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found.get("href") or "")


def head_of(page: str) -> _Head:
    parser = _Head()
    parser.feed(page)
    return parser


# --- addresses in the text -------------------------------------------------------------------


def test_abstract_addresses_become_links_without_their_trailing_punctuation():
    html = linkify_text(
        "Code at https://github.com/acme/tool. Demo (see https://acme.org/demo), "
        "also www.acme.org/x; and https://en.wikipedia.org/wiki/Foo_(bar)!"
    )
    code = "https://github.com/acme/tool"
    assert f'<a href="{code}" {REL}>{code}</a>. ' in html
    assert f'<a href="https://acme.org/demo" {REL}>https://acme.org/demo</a>), ' in html
    assert f'<a href="https://www.acme.org/x" {REL}>www.acme.org/x</a>;' in html
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in html and "</a>!" in html


def test_abstract_math_is_left_whole_and_hostile_text_stays_escaped():
    html = linkify_text(
        "We bound $f(x) = \\text{https://not.a.link/}$ and $$a<b$$. "
        '<script>alert(1)</script> https://evil.org/"onmouseover="alert(1) '
        "javascript:alert(1) ftp://files.org/x https://\x00nul.org"
    )
    assert "$f(x) = \\text{https://not.a.link/}$" in html  # no link inside a formula
    assert "$$a&lt;b$$" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'<a href="https://evil.org/" {REL}>https://evil.org/</a>&quot;onmouseover' in html
    assert 'href="javascript' not in html and 'href="ftp' not in html
    assert html.count("<a ") == 1


def test_comment_addresses_become_links_but_not_in_code_math_or_existing_links():
    html = render_markdown(
        "See https://github.com/acme/tool. and [the page](https://acme.org/p), "
        "`https://in.code.org` and $x_{https://in.math.org}$ or <https://auto.org>."
    )
    assert f'<a href="https://github.com/acme/tool" {REL}>https://github.com/acme/tool</a>.' in html
    assert html.count('href="https://acme.org/p"') == 1
    assert "<code>https://in.code.org</code>" in html
    assert 'href="https://in.math.org' not in html
    assert html.count('href="https://auto.org"') == 1


def test_hostile_comment_addresses_stay_escaped():
    html = render_markdown('https://x.org/"><script>alert(1)</script> https://y.org/?a=1&b=<2>')
    assert "<script>" not in html
    assert 'href="https://x.org/"' in html
    assert 'href="https://y.org/?a=1&amp;b="' in html


def test_the_paper_page_links_addresses_in_abstract_and_comments(client):
    paper = make_paper(
        abstract="Our code: https://github.com/acme/tool. We prove $x^2 \\ge 0$.",
        comments="10 pages; project page https://acme.org/p",
    )
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    abstract = page.split('<p class="abstract tex">', 1)[1].split("</p>", 1)[0]
    assert f'<a href="https://github.com/acme/tool" {REL}>' in abstract
    assert "$x^2 \\ge 0$" in abstract
    assert f'<a href="https://acme.org/p" {REL}>' in page


# --- links above the abstract ----------------------------------------------------------------


def test_the_reading_links_come_before_the_abstract(client):
    paper = make_paper(repo_url="https://github.com/acme/tool", project_page="https://acme.org")
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    abstract_at = page.index('id="abstract-h"')
    for href in (paper.pdf_url, paper.abs_url, "https://github.com/acme/tool", "https://acme.org"):
        assert page.index(f'href="{href}"') < abstract_at, href


# --- links set by hand -----------------------------------------------------------------------


def test_the_submitter_sets_the_links_and_the_page_says_who(client, cast):
    entry = make_entry(by=cast.owner, repo_url="https://github.com/old/repo")
    url = f"/links/{entry.paper.pk}"
    client.force_login(cast.owner)
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert f'href="{url}"' in page
    form = client.get(url)
    assert form.status_code == 200 and "https://github.com/old/repo" in form.content.decode()
    response = client.post(
        url, {"code_url": " https://github.com/new/repo ", "project_url": "http://new.org/p"}
    )
    assert response.status_code == 302
    links = PaperLinks.objects.get(paper=entry.paper)
    assert (links.code_url, links.project_url, links.set_by) == (
        "https://github.com/new/repo",
        "http://new.org/p",
        cast.owner,
    )
    assert links.set_at is not None
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert 'href="https://github.com/new/repo"' in page
    assert 'href="http://new.org/p"' in page
    assert 'href="https://github.com/old/repo"' not in page
    assert "Links set by" in page and "<bdi>owner</bdi>" in page
    # The catalogue keeps what the sources said.
    assert Paper.objects.get(pk=entry.paper.pk).repo_url == "https://github.com/old/repo"


def test_a_moderator_sets_links_of_any_paper_and_empty_fields_fall_back(client, cast):
    paper = make_paper(repo_url="https://github.com/src/repo")
    client.force_login(cast.moderator)
    response = client.post(f"/links/{paper.pk}", {"code_url": "", "project_url": "https://p.org"})
    assert response.status_code == 302
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert 'href="https://github.com/src/repo"' in page and 'href="https://p.org"' in page
    assert PaperLinks.objects.get(paper=paper).set_by == cast.moderator


def test_others_cannot_set_links(client, cast):
    entry = make_entry(by=cast.owner)
    url = f"/links/{entry.paper.pk}"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(cast.member)
    assert client.get(url).status_code == 403
    response = client.post(url, {"code_url": "https://github.com/x/y", "project_url": ""})
    assert response.status_code == 403
    assert not PaperLinks.objects.exists()
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert f'href="{url}"' not in page
    assert client.get("/links/999999").status_code == 404


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("ftp://files.org/x", "must start with https:// or http://"),
        ("https://" + "a" * 500 + ".org", "at most 500 characters"),
        ("https://exa mple.org", "not a web address"),
        ("https://", "not a web address"),
        ('https://x.org/"><script>', "not a web address"),
        ("https://x.org/\x00", "NUL character"),
        ("https://" + "a" * 5000, "at most 2000 characters"),
    ],
)
def test_bad_links_are_refused_with_a_reason(client, cast, value, message):
    paper = make_paper()
    client.force_login(cast.moderator)
    response = client.post(f"/links/{paper.pk}", {"code_url": value, "project_url": ""})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>" not in response.content.decode().split("<main", 1)[-1]
    assert not PaperLinks.objects.exists()


# --- GitHub stars ----------------------------------------------------------------------------


def test_github_stars_from_a_source_show_beside_the_code_link(client, cast):
    paper = make_paper()
    upsert_paper(
        PaperRecord(
            arxiv_id=paper.arxiv_id,
            repo_url="https://github.com/acme/tool",
            github_stars=1234,
            authoritative=False,
        ),
        source="hf",
    )
    paper.refresh_from_db()
    assert paper.github_stars == 1234
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    code = page.split('href="https://github.com/acme/tool"', 1)[1].split("</a>", 1)[0]
    assert "★ 1234" in code and 'aria-label="1234 stars on GitHub"' in code
    # A repository set by hand is another one: its stars are not known.
    client.force_login(cast.moderator)
    client.post(f"/links/{paper.pk}", {"code_url": "https://github.com/other/repo"})
    assert "stars on GitHub" not in client.get(f"/papers/{paper.arxiv_id}").content.decode()


@pytest.mark.parametrize("stars", [-1, True, "12", 10**12, 1.5])
def test_nonsense_star_counts_are_dropped(stars):
    record = PaperRecord(arxiv_id="2501.00001", title="T", github_stars=stars)  # type: ignore[arg-type]
    assert record.normalized().github_stars is None


def test_no_stars_shown_when_unknown(client):
    paper = make_paper(repo_url="https://github.com/acme/tool")
    assert "stars on GitHub" not in client.get(f"/papers/{paper.arxiv_id}").content.decode()


# --- link previews ---------------------------------------------------------------------------


def test_open_graph_and_twitter_tags_and_the_canonical_link(client, settings):
    settings.SITE_URL = "https://papers.example.org"
    paper = make_paper(
        title="Energy of $E=mc^2$ models",
        abstract="We show that $\\alpha$-stable laws hold. " + "More words here. " * 40,
        authors=["Ada Lovelace", "Alan Turing", 'Eve "<b>" Hacker'],
    )
    head = head_of(client.get(f"/papers/{paper.arxiv_id}").content.decode())
    assert head.canonical == [f"https://arxiv.org/abs/{paper.arxiv_id}"]
    meta = head.meta
    assert meta["og:type"] == ["article"]
    assert meta["og:url"] == [f"https://papers.example.org/papers/{paper.arxiv_id}"]
    assert meta["og:title"] == ["Energy of E=mc^2 models"]
    description = meta["og:description"][0]
    assert description.startswith("We show that \u03b1-stable laws hold. More words here.")
    assert "$" not in description and "\\" not in description
    assert len(description) <= 301 and description.endswith(" words…")  # cut between words
    assert meta["twitter:card"] == ["summary"]
    assert meta["twitter:title"] == meta["og:title"]
    assert meta["article:author"] == ["Ada Lovelace", "Alan Turing", 'Eve "<b>" Hacker']
    assert meta["twitter:data1"] == ['Ada Lovelace, Alan Turing, Eve "<b>" Hacker']


# --- a first comment with the submission -----------------------------------------------------


def test_a_submission_takes_a_first_comment(client, cast):
    paper = make_paper()
    client.force_login(cast.owner)
    assert 'name="comment"' in client.get("/submit").content.decode()
    response = client.post(
        "/submit", {"id": paper.arxiv_id, "comment": "Worth it: see https://acme.org and $x^2$."}
    )
    assert response.status_code == 302
    entry = DailyEntry.objects.get(paper=paper)
    assert entry.comment_count == 1
    first = Comment.objects.get(paper=paper)
    assert first.author == cast.owner and first.parent is None
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="https://acme.org" {REL}>' in page and "$x^2$" in page


def test_a_submission_without_a_comment_posts_none(client, cast):
    paper = make_paper()
    client.force_login(cast.owner)
    assert client.post("/submit", {"id": paper.arxiv_id, "comment": "   "}).status_code == 302
    assert DailyEntry.objects.filter(paper=paper).exists()
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("comment", "message"),
    [("nul \x00 byte", "NUL character"), ("x" * 20_001, "at most")],
)
def test_a_bad_first_comment_refuses_the_submission_and_keeps_the_text(
    client, cast, settings, comment, message
):
    settings.COMMENT_MAX_LENGTH = 20_000
    paper = make_paper()
    client.force_login(cast.owner)
    response = client.post("/submit", {"id": paper.arxiv_id, "comment": comment})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DailyEntry.objects.exists() and not Comment.objects.exists()


def test_a_refused_submission_posts_no_comment(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    response = client.post("/submit", {"id": entry.paper.arxiv_id, "comment": "Great paper"})
    assert response.status_code == 400
    assert "already featured" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_long_author_list_folds_after_ten(client):
    names = [f"Author {n}" for n in range(40)]
    paper = make_paper(authors=names)
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    shown, folded = page.split('<details class="more-authors">', 1)
    assert "<bdi>Author 9</bdi>" in shown and "<bdi>Author 10</bdi>" not in shown
    assert "and 30 more authors" in folded and "<bdi>Author 39</bdi>" in folded
    assert folded.index("<bdi>Author 39</bdi>") < folded.index('id="abstract-h"')
    few = make_paper(authors=names[:12])
    assert "more-authors" not in client.get(f"/papers/{few.arxiv_id}").content.decode()
