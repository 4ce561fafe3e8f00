"""`GET /api/papers/search`: Hugging Face's shape, read by huggingface_hub's PaperInfo."""

import copy
import datetime as dt

import pytest
from django.contrib.auth.models import User
from huggingface_hub.hf_api import PaperInfo

pytestmark = pytest.mark.django_db

URL = "/api/papers/search"


def test_shape_read_by_huggingface_hub(client, indexed):
    answer = client.get(URL, {"q": "quantum error correction", "limit": 3})
    assert answer.status_code == 200
    entries = answer.json()
    assert isinstance(entries, list) and len(entries) == 3
    entry = entries[0]
    paper = entry["paper"]
    assert paper["id"] in indexed
    assert {"id", "title", "summary", "authors", "publishedAt", "upvotes"} <= set(paper)
    assert entry["title"] == paper["title"] and entry["summary"] == paper["summary"]
    assert any(part["type"] == "highlight" for part in entry["highlightedTitle"])
    assert "".join(p["text"] for p in entry["highlightedTitle"]) == paper["title"]
    info = PaperInfo(**copy.deepcopy(entry))
    assert info.id == paper["id"] and info.title == paper["title"]
    assert info.authors and info.authors[0].name
    assert info.published_at is not None and info.published_at.year == 2025


def test_limit_and_query_bounds(client, indexed):
    assert len(client.get(URL, {"q": "study", "limit": 120}).json()) == 12
    assert len(client.get(URL, {"q": "study"}).json()) == 12
    for bad in ({"limit": 121}, {"limit": 0}, {"limit": "x"}, {"q": "x" * 251}):
        answer = client.get(URL, {"q": "study", **bad})
        assert answer.status_code == 400
        assert answer.json()["error"] == answer["X-Error-Message"]
    assert client.get(URL, {"q": "x" * 250}).status_code == 200


@pytest.mark.parametrize(
    "query", ["<script>alert(1)</script>", "' OR 1=1 --", '"', "-", "Schrödinger 🚀", ""]
)
def test_hostile_queries_answer_a_list(client, indexed, query):
    answer = client.get(URL, {"q": query})
    assert answer.status_code == 200
    assert isinstance(answer.json(), list)


def test_html_in_titles_comes_back_as_text(client, add_papers, search_settings):
    from dailypapers.search import keeper

    add_papers(1, title="Bounds for a < b & c > d in <i>graphs</i>")
    keeper.index_pending()
    entry = client.get(URL, {"q": "graphs bounds"}).json()[0]
    assert entry["paper"]["title"] == "Bounds for a < b & c > d in <i>graphs</i>"
    parts = entry["highlightedTitle"]
    assert "".join(p["text"] for p in parts) == entry["paper"]["title"]
    assert {"type": "highlight", "text": "graphs"} in parts


def test_mode_chooses_the_rankers(client, indexed):
    """``mode=lexical`` finds papers by their words only, ``dense`` by meaning; a mode
    that is none of the three is a 400 that names the parameter."""
    lexical = client.get(URL, {"q": "quantum", "mode": "lexical"}).json()
    assert lexical and all("quantum" in e["title"].lower() for e in lexical)
    for mode in ("dense", "hybrid"):
        assert client.get(URL, {"q": "quantum", "mode": mode}).status_code == 200
    for bad in ("semantic", "", "HYBRID\x00", "<b>"):
        refused = client.get(URL, {"q": "quantum", "mode": bad})
        assert refused.status_code == 400, bad
        assert "mode" in refused.json()["error"], bad


def test_a_page_is_read_in_one_query(client, indexed, django_assert_num_queries):
    """Each paper with its featured entry, who featured it and its comment count: one
    query of the catalogue for the page, whatever its length."""
    from dailypapers.community.models import Comment
    from dailypapers.community.submissions import feature

    user = User.objects.create_user("poster")
    entry = feature(indexed[0], by=user, day=dt.date(2025, 1, 6), check_rules=False)
    entry.upvotes = 3
    entry.save()
    paper = entry.paper
    Comment.objects.create(paper=paper, author=user, body="Nice.")
    Comment.objects.create(paper=paper, author=user, body="Gone.", hidden=True)
    client.get(URL, {"q": "study", "limit": 1})  # the index opened, the rate counted
    with django_assert_num_queries(1):
        entries = client.get(URL, {"q": "study", "limit": 12}).json()
    assert len(entries) == 12
    item = next(e for e in entries if e["paper"]["id"] == paper.arxiv_id)
    assert item["numComments"] == 1 and item["paper"]["upvotes"] == 3
    assert item["paper"]["submittedOnDailyBy"]["user"] == "poster"


def test_terms_are_marked_wherever_they_occur(client, add_papers, search_settings):
    """The query's words and phrases are marked as whole words in any case, in the title and
    the whole summary; an excluded word and parts of longer words are not."""
    from dailypapers.search import keeper

    add_papers(
        1,
        title="Sparse Graphs and their bounds",
        abstract="We bound sparse graphs. " + "Filler words here. " * 40 + "Graphs again.",
    )
    keeper.index_pending()
    entry = client.get(URL, {"q": '"sparse graphs" -spectral bound'}).json()[0]
    marked = [p["text"] for p in entry["highlightedTitle"] if p["type"] == "highlight"]
    assert marked == ["Sparse", "Graphs"]  # "bounds" is not "bound"
    summary = [p["text"] for p in entry["highlightedSummary"] if p["type"] == "highlight"]
    assert summary == ["bound", "sparse", "graphs", "Graphs"]
    assert "".join(p["text"] for p in entry["highlightedSummary"]) == entry["summary"]
