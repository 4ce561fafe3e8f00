"""The arXiv API reader (Atom) against a loopback server: ids, queries, and bad answers."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dailypapers.catalog.models import Paper
from dailypapers.sources import jobs
from dailypapers.sources.http import SourceError
from dailypapers.sources.models import IngestRun
from tests.sources.sources_loopback import ATOM, HTML, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def atom(name: str, status: int = 200) -> Reply:
    return Reply(status, fixture(name), ATOM)


def test_ids_are_fetched_and_stored(sources):
    sources.reply("/api/query", atom("api_ids.xml"))
    run = jobs.ingest_ids(["hep-ex/0307015", "https://arxiv.org/abs/2501.01234v1"])
    assert (run.status, run.added, run.rejected) == ("succeeded", 2, 0)
    asked = sources.requests_to("/api/query")[0].query
    assert asked["id_list"] == "hep-ex/0307015,2501.01234"  # versions dropped: the latest
    h1 = Paper.objects.get(arxiv_id="hep-ex/0307015")
    assert (
        h1.title == "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    )
    assert h1.journal_ref == "Eur.Phys.J. C31 (2003) 17-29"
    assert h1.doi == "10.1140/epjc/s2003-01326-x"  # from the DOI link
    smoe = Paper.objects.get(arxiv_id="2501.01234")
    assert smoe.version == 2
    assert smoe.author_names == ["Ana García", "Wei Zhang"]
    assert smoe.categories == ["cs.CL", "cs.LG"]
    assert smoe.doi == "10.1000/xyz123"
    assert smoe.submitted is not None and smoe.submitted.isoformat().startswith("2025-01-02")
    assert smoe.code_links == ["https://github.com/example/smoe-mt"]


def test_invalid_and_unknown_ids_are_reported_not_fatal(sources):
    """Hostile input: ids that are not arXiv ids (`1234.12345`, `banana`) and an id arXiv
    does not have."""
    sources.reply("/api/query", atom("api_ids.xml"))
    run = jobs.ingest_ids(["1234.12345", "banana", "hep-ex/0307015", "2501.01234", "2501.99999"])
    assert run.status == "succeeded"
    assert run.added == 2
    reasons = {e["id"]: e["error"] for e in run.errors}
    assert "month 34 does not exist" in reasons["1234.12345"]
    assert "is not an arXiv id" in reasons["banana"]
    assert reasons["2501.99999"] == "arXiv has no paper 2501.99999"
    asked = sources.requests_to("/api/query")[0].query["id_list"]
    assert "banana" not in asked and "1234.12345" not in asked


def test_atom_error_entry_is_a_clear_error(sources):
    """Hostile input: arXiv's Atom error entry (with HTTP 400)."""
    sources.reply("/api/query", atom("api_error.xml", 400))
    with pytest.raises(SourceError, match=r"arXiv says: incorrect id format for 1234\.12345"):
        jobs.ingest_query("id:1234.12345")
    run = IngestRun.objects.get()
    assert run.status == "failed" and "incorrect id format" in run.last_error


def test_html_instead_of_xml_is_a_clear_error(sources):
    """Hostile input: a maintenance page in HTML with status 200."""
    sources.reply("/api/query", Reply(200, fixture("maintenance.html"), HTML))
    with pytest.raises(SourceError, match="HTML page instead of XML"):
        jobs.ingest_ids(["2501.01234"])


def test_latex_and_unicode_title_survive(sources):
    """Hostile input: a title with TeX math, accents, an emoji, CJK, an escaped `<` and `&`,
    and author names in TeX accents."""
    sources.reply("/api/query", atom("api_latex_unicode.xml"))
    jobs.ingest_ids(["2502.04321"])
    paper = Paper.objects.get(arxiv_id="2502.04321")
    assert paper.title == (
        r"$\mathcal{O}(n \log n)$ Sch\"odinger Solvers & the $\alpha$-Stable Limit: "
        "Über-Fast Ω-Convergence 🚀 for 東京 Data <fast>"
    )
    assert paper.author_names == ["Balázs Szőke", "Zoë O'Brien-Łukasiewicz"]
    assert "Erdős\u2013Rényi" in paper.abstract


def test_a_10_mb_abstract_is_rejected_and_the_rest_kept(sources):
    """Hostile input: one entry with a 10 MB abstract beside a normal one."""
    body = fixture("api_huge_template.xml").replace(b"{ABSTRACT}", b"word " * 2_000_000)
    assert len(body) > 10_000_000
    sources.reply("/api/query", Reply(200, body, ATOM))
    run = jobs.ingest_ids(["2503.00001", "2503.00002"])
    assert run.added == 1 and run.rejected == 1
    assert "abstract is 9,999,999 characters long" in run.errors[0]["error"]
    assert Paper.objects.filter(arxiv_id="2503.00002").exists()
    assert not Paper.objects.filter(arxiv_id="2503.00001").exists()


def query_pages(pages: dict[int, Reply]):
    def route(query: dict[str, str]) -> Reply:
        return pages[int(query["start"])]

    return route


def test_query_follows_pages(sources):
    sources.route(
        "/api/query",
        query_pages({0: atom("api_query_page0.xml"), 2: atom("api_query_page2.xml")}),
    )
    run = jobs.ingest_query("cat:cs.CL", max_results=10)
    assert (run.status, run.added) == ("succeeded", 3)
    starts = [s.query["start"] for s in sources.requests_to("/api/query")]
    assert starts == ["0", "2"]
    assert sources.requests_to("/api/query")[0].query["sortBy"] == "submittedDate"


def test_truncated_xml_mid_query_keeps_what_was_stored_and_a_rerun_finishes(sources):
    """Hostile input: the second page is cut off in the middle of an element."""
    pages = {0: atom("api_query_page0.xml"), 2: atom("api_truncated.xml")}
    sources.route("/api/query", query_pages(pages))
    with pytest.raises(SourceError, match="malformed or cut short"):
        jobs.ingest_query("cat:cs.CL", max_results=10)
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2501.00003", "2501.00002"}
    run = IngestRun.objects.get()
    assert run.status == "failed" and run.checkpoint == {"start": 2}

    pages[2] = atom("api_query_page2.xml")
    run = jobs.ingest_query("cat:cs.CL", max_results=10)
    assert (run.status, run.added) == ("succeeded", 3)
    assert IngestRun.objects.count() == 1  # the same run, resumed
    starts = [s.query["start"] for s in sources.requests_to("/api/query")]
    assert starts == ["0", "2", "2"]  # the re-run did not read page 0 again
    assert Paper.objects.count() == 3


def test_an_empty_page_in_the_middle_is_asked_again(sources):
    """Hostile input: arXiv's known fault, a page with totalResults 0 mid-query."""
    second = [atom("api_empty_page.xml"), atom("api_query_page2.xml")]
    sources.route(
        "/api/query",
        lambda q: atom("api_query_page0.xml") if q["start"] == "0" else second.pop(0),
    )
    run = jobs.ingest_query("cat:cs.CL", max_results=10)
    assert run.added == 3


def test_pages_that_stay_empty_fail_clearly(sources):
    """Hostile input: the middle page stays empty on every try."""
    sources.route(
        "/api/query",
        lambda q: atom("api_query_page0.xml" if q["start"] == "0" else "api_empty_page.xml"),
    )
    with pytest.raises(SourceError, match="came back empty 3 times"):
        jobs.ingest_query("cat:cs.CL", max_results=10)
    assert Paper.objects.count() == 2


def test_429_then_success_through_the_reader(sources):
    """Hostile input: 429 Too Many Requests, then the answer."""
    sources.reply(
        "/api/query",
        Reply(429, b"Rate exceeded.", "text/plain", {"Retry-After": "0"}),
        atom("api_ids.xml"),
    )
    run = jobs.ingest_ids(["hep-ex/0307015", "2501.01234"])
    assert run.added == 2


def test_command_ids_and_dry_run(sources, capsys):
    sources.reply("/api/query", atom("api_ids.xml"))
    call_command("ingest", "ids", "hep-ex/0307015", "2501.01234", "--dry-run")
    assert "2 usable" in capsys.readouterr().out
    assert Paper.objects.count() == 0 and IngestRun.objects.count() == 0
    call_command("ingest", "ids", "hep-ex/0307015", "2501.01234")
    assert "2 added" in capsys.readouterr().out
    assert Paper.objects.count() == 2


def test_command_reports_source_errors(sources):
    sources.reply("/api/query", Reply(200, fixture("maintenance.html"), HTML))
    with pytest.raises(CommandError, match="HTML page instead of XML"):
        call_command("ingest", "query", "cat:cs.CL")
