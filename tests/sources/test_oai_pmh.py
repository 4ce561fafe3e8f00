"""The OAI-PMH reader against a loopback server: tokens, resume, deleted records, errors."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from dailypapers.catalog.models import Paper
from dailypapers.sources import jobs
from dailypapers.sources.http import FetchError, SourceError
from dailypapers.sources.models import IngestRun
from dailypapers.sources.oai import OaiError
from tests.sources.sources_loopback import XML, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "6960524|1001"


def xml(name: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, fixture(name), XML, headers or {})


def by_token(first: Reply | list[Reply], pages: dict[str, Reply | list[Reply]]):
    """Answer the first page or the page of a token; a list is served in turn."""

    def pick(value: Reply | list[Reply]) -> Reply:
        if isinstance(value, list):
            return value.pop(0) if len(value) > 1 else value[0]
        return value

    def route(query: dict[str, str]) -> Reply:
        token = query.get("resumptionToken")
        return pick(first) if token is None else pick(pages[token])

    return route


def test_harvest_follows_tokens_and_counts_deleted_records(sources):
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: xml("oai_page2.xml")}))
    run, harvest = jobs.harvest_oai(set_spec="cs", from_date="2025-01-01")
    assert run.status == "succeeded"
    assert run.added == 3
    assert harvest.deleted == 1 and harvest.deleted_ids == ["0901.0001"]
    assert run.rejected == 1 and "not-an-id" in run.errors[0]["error"]
    first, second = (s.query for s in sources.requests_to("/oai"))
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "cs",
        "from": "2025-01-01",
    }
    assert second == {"verb": "ListRecords", "resumptionToken": TOKEN}
    ore = Paper.objects.get(arxiv_id="0804.2273")
    assert ore.title == "Object Re-Use & Exchange: A Resource-Centric Approach"
    assert ore.author_names == ["Carl Lagoze", "Herbert Van de Sompel", "John Smith Jr"]
    assert ore.categories == ["cs.DL", "cs.NI"] and ore.primary_category == "cs.DL"
    assert ore.submitted is not None and ore.submitted.date().isoformat() == "2008-04-14"
    assert Paper.objects.get(arxiv_id="2501.00010").doi == "10.1000/graph.2025"
    assert run.checkpoint["started"] == "2025-01-10"


def test_next_harvest_goes_on_from_the_last_one(sources):
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: xml("oai_page2.xml")}))
    jobs.harvest_oai(set_spec="cs", from_date="2025-01-01")
    sources.route("/oai", lambda q: xml("oai_no_records.xml"))
    run, _ = jobs.harvest_oai(set_spec="cs")
    assert run.status == "succeeded" and run.seen == 0  # noRecordsMatch is not an error
    assert sources.requests_to("/oai")[-1].query["from"] == "2025-01-10"


def test_503_with_retry_after_is_waited_out(sources):
    """Hostile input: 503 Service Unavailable with Retry-After, as arXiv answers overload."""
    busy = Reply(503, b"<html>Retry later</html>", "text/html", {"Retry-After": "1"})
    sources.route(
        "/oai",
        by_token([busy, xml("oai_page1.xml")], {TOKEN: [busy, xml("oai_page2.xml")]}),
    )
    run, _ = jobs.harvest_oai(set_spec="cs", from_date="2025-01-01")
    assert run.added == 3
    assert len(sources.requests_to("/oai")) == 4


def test_interrupted_harvest_resumes_on_its_page(sources):
    """Hostile input: the second page fails (503 on every try); the re-run must go on with
    the saved token, not start again."""
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: Reply(503, b"")}))
    with pytest.raises(FetchError, match="HTTP 503"):
        jobs.harvest_oai(set_spec="cs", from_date="2025-01-01")
    run = IngestRun.objects.get()
    assert run.status == "failed"
    assert run.checkpoint["token"] == TOKEN and run.checkpoint["skip"] == 0
    assert Paper.objects.count() == 2  # the first page is kept

    sources.seen.clear()
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: xml("oai_page2.xml")}))
    run, harvest = jobs.harvest_oai(set_spec="cs")
    assert run.status == "succeeded" and IngestRun.objects.count() == 1
    assert [s.query.get("resumptionToken") for s in sources.requests_to("/oai")] == [TOKEN]
    assert Paper.objects.count() == 3
    assert harvest.deleted == 1  # counted on the first try, carried in the checkpoint


def test_expired_token_on_resume_starts_again_from_the_from_date(sources):
    """Hostile input: the saved resumption token has expired (badResumptionToken)."""
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: Reply(503, b"")}))
    with pytest.raises(FetchError):
        jobs.harvest_oai(set_spec="cs", from_date="2025-01-01")

    sources.seen.clear()
    pages = {TOKEN: [xml("oai_bad_token.xml"), xml("oai_page2.xml")]}
    sources.route("/oai", by_token(xml("oai_page1.xml"), pages))
    run, _ = jobs.harvest_oai(set_spec="cs")
    assert run.status == "succeeded"
    asked = [s.query for s in sources.requests_to("/oai")]
    assert asked[0] == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert asked[1]["from"] == "2025-01-01" and "resumptionToken" not in asked[1]
    assert Paper.objects.count() == 3


def test_a_token_that_keeps_expiring_fails_clearly(sources):
    """Hostile input: every resumption token is refused, even after starting again."""
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: xml("oai_bad_token.xml")}))
    with pytest.raises(OaiError, match="badResumptionToken"):
        jobs.harvest_oai(set_spec="cs", from_date="2025-01-01")
    assert Paper.objects.count() == 2


def test_protocol_errors_are_clear(sources):
    """Hostile input: cannotDisseminateFormat; then truncated XML; then an HTML page."""
    sources.route("/oai", lambda q: xml("oai_bad_argument.xml"))
    with pytest.raises(OaiError, match="cannotDisseminateFormat"):
        jobs.harvest_oai(set_spec="cs", from_date="2025-01-01", restart=True)
    sources.route("/oai", lambda q: Reply(200, fixture("oai_page1.xml")[:900], XML))
    with pytest.raises(SourceError, match="malformed or cut short"):
        jobs.harvest_oai(set_spec="cs", from_date="2025-01-01", restart=True)
    sources.route("/oai", lambda q: Reply(200, fixture("maintenance.html"), "text/html"))
    with pytest.raises(SourceError, match="HTML page instead of XML"):
        jobs.harvest_oai(set_spec="cs", from_date="2025-01-01", restart=True)
    assert Paper.objects.count() == 0


def test_arxiv_raw_format_keeps_versions(sources):
    sources.route("/oai", lambda q: xml("oai_raw.xml"))
    run, _ = jobs.harvest_oai(metadata_prefix="arXivRaw", set_spec="cs", from_date="2025-01-01")
    assert run.added == 1
    assert sources.requests_to("/oai")[0].query["metadataPrefix"] == "arXivRaw"
    paper = Paper.objects.get(arxiv_id="2501.00001")
    assert paper.version == 2
    assert paper.author_names == ["A. Cabrera-Codony", "A. Valverde", "J. M. Bofill"]
    assert (
        paper.submitted is not None and paper.submitted.isoformat() == "2024-10-07T10:45:05+00:00"
    )
    assert paper.updated is not None and paper.updated.date().isoformat() == "2025-01-08"


def test_command_with_dry_run(sources, capsys):
    sources.route("/oai", by_token(xml("oai_page1.xml"), {TOKEN: xml("oai_page2.xml")}))
    call_command("ingest", "oai", "--set", "cs", "--from", "2025-01-01", "--dry-run")
    out = capsys.readouterr().out
    assert "3 usable" in out and "1 records deleted at arXiv" in out
    assert Paper.objects.count() == 0 and IngestRun.objects.count() == 0
