"""TeX on the pages, in feeds: the daily page's excerpts are cut between words outside
formulas and text commands, text commands render as HTML and hostile TeX stays escaped; the
paper page renders them too; a profile's comments are marked for KaTeX; a feed reads plain
text with bare ``&``, ``%``, ``#`` kept."""

from __future__ import annotations

import feedparser
import pytest

from dailypapers.community.comments import post_comment

from .helpers import make_entry, make_paper, make_user

pytestmark = pytest.mark.django_db

LONG = (
    "Words before the claim " * 11
    + r"\textbf{This is the bold claim that the cut used to split} and $\sum_{i=1}^{n} x_i$ "
    + "more words after it " * 10
)


def test_daily_excerpts_are_never_cut_inside_tex(client):
    make_entry(title=r"\emph{Fast} $\alpha$-models", abstract=LONG)
    page = client.get("/").content.decode()
    assert "<em>Fast</em> $\\alpha$-models" in page
    assert "\\textbf{Thi" not in page and "\\textbf" not in page
    start = page.index('<p class="abstract tex">')
    excerpt = page[start : page.index("</p>", start)]
    assert excerpt.endswith("\u2026")
    assert excerpt.count("$") % 2 == 0
    # the limit falls inside \textbf{...}: the cut comes before it, between words
    assert excerpt.endswith("Words before the claim\u2026") and "<strong>" not in excerpt


def test_hostile_tex_stays_escaped_on_the_daily_and_paper_pages(client):
    entry = make_entry(
        title=r"\textbf{<script>alert(1)</script>} \emph{</em><img src=x onerror=alert(1)>}",
        abstract=(
            r"\texttt{<iframe src=javascript:alert(1)>} and $</p><script>x</script>$ \url{<b>}"
        ),
    )
    for url in ("/", f"/papers/{entry.paper.arxiv_id}"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "<iframe" not in page and "</p><script>" not in page
        assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in page
        assert "<code>&lt;iframe src=javascript:alert(1)&gt;</code>" in page


def test_a_profiles_comments_are_marked_for_katex(client):
    paper = make_paper(title=r"On $\alpha$ and \textbf{bold} things")
    make_entry(paper)
    post_comment(make_user("writer"), paper, r"See $C_\alpha$.")
    page = client.get("/u/writer?tab=comments").content.decode()
    assert '<div class="comment-body tex" dir="auto">' in page
    assert 'class="tex"' in page and "<strong>bold</strong>" in page


def test_feeds_read_plain_text_with_bare_ampersands_percents_and_hashes(client):
    make_entry(
        title=r"Q&A on $\alpha$-models in C# \textbf{fast}",
        abstract=r"We cut 50% of $O(n)$ steps with \texttt{code} & data.",
    )
    feed = feedparser.parse(client.get("/papers/feed.rss").content)
    (item,) = feed.entries
    assert item.title == "Q&A on \u03b1-models in C# fast"
    assert "We cut 50% of O(n) steps with code & data." in item.summary
