"""arXiv is the authority for a paper's bibliographic fields; Hugging Face's list fills only
what a paper lacks, and what it alone knows (its featurings, a repository, a project page).

Tried: an OAI-PMH harvest and HF's reader over the same two papers, in both orders and
alternating, where HF's record differs from arXiv's (a hidden author dropped, a title
written differently, an abstract reflowed, no categories or dates)."""

from __future__ import annotations

from datetime import date

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.sources import jobs
from tests.sources.sources_loopback import JSON, XML, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2025, 8, 21)

RECORD = """
  <record>
   <header><identifier>oai:arXiv.org:{id}</identifier><datestamp>2025-08-21</datestamp></header>
   <metadata>
    <arXiv xmlns="http://arxiv.org/OAI/arXiv/">
     <id>{id}</id><created>2025-08-19</created>
     <authors>{authors}</authors>
     <title>{title}</title>
     <categories>cs.LG stat.ML</categories>
     <abstract>{abstract}</abstract>
    </arXiv>
   </metadata>
  </record>"""

ARXIV = {
    "2508.13426": (
        ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        "Aligning Language Models, as arXiv has it",
        "arXiv's abstract of the alignment paper.",
    ),
    "2508.14001": (
        ["Priya Natarajan", "Hidden Person"],
        "Learning rates that learn themselves (arXiv's casing)",
        "arXiv's abstract of the learning-rate paper.",
    ),
}


def _oai() -> bytes:
    records = "".join(
        RECORD.format(
            id=arxiv_id,
            title=title,
            abstract=abstract,
            authors="".join(
                f"<author><keyname>{n.split()[-1]}</keyname><forenames>{n.split()[0]}</forenames>"
                "</author>"
                for n in authors
            ),
        )
        for arxiv_id, (authors, title, abstract) in ARXIV.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2025-08-21T09:00:00Z</responseDate>"
        '<request verb="ListRecords" metadataPrefix="arXiv">https://oaipmh.arxiv.org/oai</request>'
        f"<ListRecords>{records}</ListRecords></OAI-PMH>"
    ).encode()


def _harvest():
    run, _ = jobs.harvest_oai(metadata_prefix="arXiv", from_date="2025-08-01", restart=True)
    assert run.status == "succeeded", run.last_error
    return run


def _hf():
    run = jobs.ingest_daily_papers(DAY, restart=True)
    assert run.status == "succeeded", run.last_error
    return run


def _as_arxiv_has_them() -> None:
    for arxiv_id, (authors, title, abstract) in ARXIV.items():
        paper = Paper.objects.get(arxiv_id=arxiv_id)
        assert (paper.author_names, paper.title, paper.abstract) == (authors, title, abstract)
        assert paper.categories == ["cs.LG", "stat.ML"]
        links = paper.author_links.order_by("position").values_list("author__name", flat=True)
        assert list(links) == authors


@pytest.fixture
def both(sources):
    sources.route("/oai", lambda query: Reply(200, _oai(), XML))
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    return sources


def test_hf_after_a_harvest_changes_nothing_but_its_own_fields(both):
    assert _harvest().added == 2
    run = _hf()
    # Its featurings and its repository and project page go in; arXiv's metadata stays.
    assert (run.added, run.updated) == (0, 1)
    _as_arxiv_has_them()
    align = Paper.objects.get(arxiv_id="2508.13426")
    assert align.repo_url == "https://github.com/example/align"
    assert align.project_page == "https://align-llm.example.org"
    assert DailyEntry.objects.count() == 2
    assert _hf().updated == 0


def test_a_harvest_after_hf_takes_arxivs_metadata_and_then_nothing_flips(both):
    assert _hf().added == 2
    hidden = Paper.objects.get(arxiv_id="2508.14001")
    assert hidden.author_names == ["Priya Natarajan"]  # HF hides one; arXiv lists both
    assert _harvest().updated == 2
    _as_arxiv_has_them()
    assert Paper.objects.get(arxiv_id="2508.13426").repo_url == "https://github.com/example/align"
    for _ in range(3):  # alternating sources, cycle after cycle: nothing changes
        assert (_hf().updated, _harvest().updated) == (0, 0)
    _as_arxiv_has_them()


def test_hf_fills_what_arxiv_left_empty(both, make_record):
    from dailypapers.catalog.upsert import upsert_papers

    # A paper an announcement added without an abstract: HF's abstract fills it.
    upsert_papers(
        [make_record(arxiv_id="2508.14001", title="From the feed", abstract="", authors=[])],
        source="announcements",
    )
    _hf()
    paper = Paper.objects.get(arxiv_id="2508.14001")
    assert paper.title == "From the feed"
    assert paper.abstract == "We propose learning rates that adapt without tuning."
    assert paper.author_names == ["Priya Natarajan"]
