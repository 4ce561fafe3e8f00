"""The import job: every way an entry is matched, fetching what the catalogue lacks, the
reasons an entry is not found, importing twice, and a job that stops half-way."""

from __future__ import annotations

import socket

import pytest
from django.db import connection

from dailypapers.catalog.models import Paper
from dailypapers.library.imports import job as import_job
from dailypapers.library.models import CollectionItem, ImportEntry, LibraryImport
from tests.sources.sources_loopback import ATOM, Reply, fixture

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def outcomes(job: LibraryImport) -> dict[str, tuple[str, str, str, bool]]:
    """key -> (outcome, matched by, arXiv id of the paper, fetched)."""
    return {
        e.key or f"#{e.position}": (
            e.outcome,
            e.matched_by,
            e.paper.arxiv_id if e.paper else "",
            e.fetched,
        )
        for e in job.entries.select_related("paper")
    }


def reasons(job: LibraryImport) -> dict[str, str]:
    return {e.key or f"#{e.position}": e.reason for e in job.entries.all() if e.reason}


def arxiv_answers(sources) -> None:
    sources.reply("/api/query", Reply(200, (FIXTURES / "arxiv_fetch.xml").read_bytes(), ATOM))


def test_zotero_bibtex_every_way_of_matching(catalogue, start, sources):
    arxiv_answers(sources)
    job = start("bibtex", "zotero.bib")
    assert job.state == "done" and job.error == "" and job.text == ""
    got = outcomes(job)
    assert got["dosovitskiy_image_2021"] == ("added", "arxiv", "2010.11929", False)  # eprint
    assert got["hu_lora_2021"] == ("added", "arxiv", "2106.09685", False)  # journal arXiv:...
    assert got["devlin_bert_2019"] == ("added", "arxiv", "1810.04805", False)  # arXiv's DOI
    assert got["maldacena_large_1999"] == ("added", "doi", "hep-th/9711200", False)
    assert got["muller_divergences_2019"] == ("added", "title", "1905.01234", False)  # TeX
    assert got["vaswani_attention_2017"] == ("added", "arxiv", "1706.03762", True)  # fetched
    assert got["ghost_2024"] == ("not-found", "", "", False)
    assert got["unknown_journal_2020"] == ("not-found", "", "", False)
    assert got["untitled_book"] == ("not-found", "", "", False)
    why = reasons(job)
    assert why["ghost_2024"] == "arXiv has no paper 2412.99999"
    assert why["unknown_journal_2020"] == "no paper in the catalogue has this DOI or this title"
    assert why["untitled_book"] == "the entry has no arXiv id, DOI or title"

    # The missing papers were asked for in one batched id_list query, and are in the catalogue.
    asked = sources.requests_to("/api/query")
    assert len(asked) == 1
    assert set(asked[0].query["id_list"].split(",")) == {"1706.03762", "2412.99999"}
    assert Paper.objects.get(arxiv_id="1706.03762").title == "Attention Is All You Need"
    assert job.to_fetch == 2 and job.fetched == 2

    items = list(job.collection.items.order_by("position").values_list("paper__arxiv_id", "source"))
    # In the file's order (the fetched paper settled last, after arXiv answered).
    assert [i for i, _ in items] == [
        "2010.11929",
        "2106.09685",
        "1810.04805",
        "hep-th/9711200",
        "1905.01234",
        "1706.03762",
    ]
    assert {s for _, s in items} == {CollectionItem.Source.IMPORTED}
    assert job.entries_total == 9 and job.entries_done == 9


def test_google_scholar_entries_by_journal_note_and_title(catalogue, start, no_fetch):
    job = start("bibtex", "scholar.bib")
    got = outcomes(job)
    assert got["kingma2014adam"] == ("added", "arxiv", "1412.6980", False)  # "arXiv preprint"
    assert got["he2016deep"] == ("added", "title", "1512.03385", False)
    assert got["smith2022deep"][0] == "not-found"
    assert reasons(job)["smith2022deep"] == (
        "2 papers in the catalogue have this title: add it by its arXiv id"
    )


def test_zotero_ris(catalogue, start, no_fetch):
    job = start("ris", "zotero.ris")
    got = [(e.line, e.outcome, e.matched_by, e.paper.arxiv_id) for e in job.entries.all()]
    assert got == [
        (1, "added", "arxiv", "1512.03385"),  # UR - http://arxiv.org/abs/...
        (15, "added", "arxiv", "1810.04805"),  # DO - 10.48550/arXiv...
        (29, "added", "doi", "hep-th/9711200"),
        (43, "added", "title", "1905.01234"),
    ]


def test_zotero_csl_json(catalogue, start, sources):
    arxiv_answers(sources)
    job = start("csl-json", "zotero.json")
    got = [(e.outcome, e.matched_by, e.paper.arxiv_id, e.fetched) for e in job.entries.all()]
    assert got == [
        ("added", "arxiv", "2005.14165", True),
        ("added", "arxiv", "2010.11929", False),
        ("added", "doi", "hep-th/9711200", False),
        ("added", "title", "1512.03385", False),
    ]


def test_pasted_ids_urls_and_dois(catalogue, start, no_fetch):
    job = start("ids", "ids.txt")
    got = [
        (e.line, e.outcome, e.matched_by, e.paper.arxiv_id if e.paper else "")
        for e in job.entries.select_related("paper")
    ]
    assert got == [
        (2, "added", "arxiv", "2010.11929"),
        (3, "added", "arxiv", "1412.6980"),
        (4, "added", "arxiv", "2106.09685"),
        (4, "added", "arxiv", "hep-th/9711200"),  # old style, with a version
        (5, "already", "doi", "hep-th/9711200"),  # the DOI of the paper on line 4
        (6, "added", "arxiv", "1810.04805"),
        (7, "unreadable", "", ""),
    ]
    assert "Line 7: 'not-an-id' is neither" in reasons(job)["not-an-id"]


def test_the_same_file_twice_adds_nothing(catalogue, start, no_fetch):
    first = start("bibtex", "scholar.bib")
    again = start("bibtex", "scholar.bib", into=first.collection)
    assert first.collection.items.count() == 2
    assert [e.outcome for e in again.entries.all()] == ["already", "already", "not-found"]


def test_a_paper_twice_in_one_file_is_added_once(catalogue, start, no_fetch):
    job = start("ids", text="1412.6980\narXiv:1412.6980v2\nhttps://arxiv.org/abs/1412.6980\n")
    assert [e.outcome for e in job.entries.all()] == ["added", "already", "already"]
    assert job.collection.items.count() == 1


def test_the_reading_list_and_a_paper_already_saved(catalogue, reader, start, no_fetch):
    from dailypapers.library.models import Collection

    saved = Collection.objects.create(
        owner=reader, name="Reading list", slug="reading-list", is_reading_list=True
    )
    CollectionItem.objects.create(collection=saved, paper_id=catalogue["1412.6980"], position=0)
    job = start("bibtex", "scholar.bib", into=saved)
    assert [e.outcome for e in job.entries.all()] == ["already", "added", "not-found"]
    assert list(saved.items.order_by("position").values_list("position", "source")) == [
        (0, "saved"),
        (1, "imported"),
    ]


def test_with_fetching_off_a_missing_paper_says_so(catalogue, start, no_fetch, sources):
    job = start("ids", text="1706.03762v7\n")
    assert job.entries.get().reason == (
        "1706.03762 is not in this site's catalogue, and fetching from arXiv is off"
    )
    assert sources.requests_to("/api/query") == []


def test_arxiv_out_of_reach_leaves_a_reason_and_the_rest_imported(
    catalogue, start, settings, sources
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.ARXIV_API_URL = f"http://127.0.0.1:{port}/api/query"
    settings.HTTP_RETRIES = 0
    job = start("ids", text="1706.03762\n1412.6980\n")
    assert job.state == "done"
    first, second = job.entries.all()
    assert first.outcome == "not-found" and "arXiv could not be reached" in first.reason
    assert "import the file again later" in first.reason
    assert second.outcome == "added"


def test_arxiv_answering_an_error_page(catalogue, start, sources):
    sources.reply("/api/query", Reply(200, fixture("api_error.xml"), ATOM))
    job = start("ids", text="1706.03762\n")
    entry = job.entries.get()
    assert entry.outcome == "not-found" and "arXiv says" in entry.reason


def test_many_missing_papers_are_fetched_100_at_a_time(catalogue, start, sources):
    arxiv_answers(sources)
    ids = "\n".join(f"2401.{n:05d}" for n in range(1, 251))
    job = start("ids", text=ids + "\n1706.03762\n")
    assert [len(r.query["id_list"].split(",")) for r in sources.requests_to("/api/query")] == [
        100,
        100,
        51,
    ]
    assert job.entries.filter(outcome="not-found").count() == 250
    assert job.entries.get(arxiv_id="1706.03762").fetched is True
    assert job.fetched == job.to_fetch == 251


class Crash(Exception):
    pass


def test_a_job_that_crashes_half_way_goes_on_and_adds_nothing_twice(catalogue, start, no_fetch):
    """The database fails on the second batch of collection items; run again, it finishes."""
    ids = "\n".join(f"2401.{n:05d}" for n in range(1, 1201))
    from dailypapers.catalog.records import PaperRecord
    from dailypapers.catalog.upsert import upsert_papers

    upsert_papers(
        [
            PaperRecord(arxiv_id=f"2401.{n:05d}", version=1, title=f"Paper number {n}")
            for n in range(1, 1201)
        ],
        source="test",
    )
    created = start("ids", text=ids, run_it=False)

    def fail_on_second_batch(execute, sql, params, many, context):
        item = sql.startswith("INSERT") and 'INTO "library_collectionitem"' in sql
        if item and CollectionItem.objects.count() >= 500:  # the first batch is in
            raise Crash("the database went away")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_on_second_batch), pytest.raises(Crash):
        import_job.run(created.pk)
    created.refresh_from_db()
    assert created.state == "failed" and "running it again goes on" in created.error
    assert created.collection.items.count() == 500  # the first batch, committed
    assert created.entries.filter(outcome="added").count() == 500

    import_job.run(created.pk)
    created.refresh_from_db()
    assert created.state == "done"
    assert created.collection.items.count() == 1200
    assert created.entries.filter(outcome="added").count() == 1200
    assert created.entries_done == 1200
    import_job.run(created.pk)  # a finished job: nothing happens
    assert created.collection.items.count() == 1200


def test_a_crash_while_reading_leaves_no_half_report(catalogue, start, no_fetch):
    created = start("ids", text="\n".join(f"2401.{n:05d}" for n in range(1, 1201)), run_it=False)

    def fail_on_second_insert(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "library_importentry"') and fail_on_second_insert.n:
            raise Crash("disk full")
        if sql.startswith('INSERT INTO "library_importentry"'):
            fail_on_second_insert.n = 1
        return execute(sql, params, many, context)

    fail_on_second_insert.n = 0
    with connection.execute_wrapper(fail_on_second_insert), pytest.raises(Crash):
        import_job.run(created.pk)
    assert created.entries.count() == 0
    import_job.run(created.pk)
    created.refresh_from_db()
    assert created.entries.count() == 1200 and created.state == "done"


def test_a_malformed_file_fails_the_job_with_the_line(catalogue, start):
    job = start("csl-json", text='[\n  {"title": "x",\n   "DOI": }\n]')
    assert job.state == "failed"
    assert job.error == "This is not valid JSON: line 3, column 11: Expecting value."
    assert job.entries.count() == 0 and job.text == ""


def test_a_malformed_bibtex_entry_is_reported_and_the_rest_imported(catalogue, start, no_fetch):
    job = start("bibtex", "malformed.bib")
    got = [(e.line, e.outcome, e.key) for e in job.entries.all()]
    assert got == [
        (1, "added", "good_one"),
        (7, "unreadable", ""),
        (12, "added", "after_the_break"),
    ]
    assert job.entries.get(line=7).reason.startswith("Lines 7-11: this entry could not be read")


def test_the_task_runs_the_job(catalogue, start, no_fetch, settings):
    from dailypapers.library.imports.tasks import run_import

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    created = start("bibtex", "scholar.bib", run_it=False)
    result = run_import.enqueue(created.pk)
    assert result.return_value == "done"
    assert ImportEntry.objects.filter(job=created, outcome="added").count() == 2


@pytest.mark.usefixtures("catalogue", "no_fetch")
@pytest.mark.parametrize(("fmt", "suffix"), [("bibtex", "bib"), ("csl-json", "json")])
def test_an_exported_collection_imports_back_whole(client, reader, start, fmt, suffix):
    """Export a collection, import the file into another: the same papers, every one
    matched by its arXiv id, nothing left over (the two halves agree on the formats)."""
    from dailypapers.catalog.models import Paper
    from dailypapers.library.models import Collection, CollectionItem
    from dailypapers.library.services import add, create_collection

    papers = list(Paper.objects.order_by("arxiv_id"))
    source = create_collection(reader, "Everything", public=True)
    for paper in papers:
        add(source, paper)
    exported = client.get(f"/c/{reader.get_username()}/everything.{suffix}")
    assert exported.status_code == 200
    target = Collection.objects.create(owner=reader, name="Back", slug="back")
    done = start(fmt, f"everything.{suffix}", text=exported.content.decode(), into=target)
    entries = list(done.entries.all())
    assert len(entries) == len(papers)
    assert {e.outcome for e in entries} == {"added"}
    assert {e.matched_by for e in entries} == {"arxiv"}
    back = CollectionItem.objects.filter(collection=target).values_list("paper_id", flat=True)
    assert sorted(back) == sorted(p.pk for p in papers)
