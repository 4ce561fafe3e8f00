"""The import pages: the form (sign-in required), the report (its owner's only), uploads that
cannot be read, and the progress the report shows while the job runs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dailypapers.library.imports import formats
from dailypapers.library.imports.forms import MAX_PASTED
from dailypapers.library.models import Collection, LibraryImport
from tests.community.helpers import make_user

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate(settings):
    """Jobs run as they are enqueued (after the request's transaction commits)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.FETCH_MISSING_PAPERS = False
    return settings


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    data = (FIXTURES / name).read_bytes() if content is None else content
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def post(client, **fields):
    data = {"format": "bibtex", "collection": "new", "new_name": "My library", **fields}
    return client.post(reverse("import"), data)


def test_the_form_needs_a_sign_in(client):
    response = client.get(reverse("import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("import"), {"format": "ids", "pasted": "2501.01234"})
    assert response.status_code == 302 and LibraryImport.objects.count() == 0


def test_the_form_offers_a_new_collection_or_the_readers_own(client, reader):
    Collection.objects.create(owner=reader, name="Thesis", slug="thesis")
    Collection.objects.create(owner=make_user("other"), name="Not yours", slug="not-yours")
    client.force_login(reader)
    page = client.get(reverse("import")).content.decode()
    assert "a new collection named" in page and "Thesis" in page and "Not yours" not in page


def test_upload_a_bibtex_file_and_read_the_report(
    client, reader, catalogue, immediate, django_capture_on_commit_callbacks
):
    client.force_login(reader)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, file=upload("scholar.bib"))
    job = LibraryImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_report", args=[job.pk])
    assert job.collection.name == "My library" and job.collection.owner == reader
    page = client.get(response["Location"]).content.decode()
    assert job.filename == "scholar.bib"
    assert "kingma2014adam" in page and "Adam: A Method for Stochastic Optimization" in page
    assert "by arXiv id" in page and "by title" in page
    assert "2 papers in the catalogue have this title" in page
    assert 'hx-trigger="every 2s"' not in page  # finished: no more polling
    not_found = client.get(response["Location"] + "?show=not-found").content.decode()
    assert "smith2022deep" in not_found and "kingma2014adam" not in not_found


def test_into_an_existing_collection_and_again(
    client, reader, catalogue, immediate, django_capture_on_commit_callbacks
):
    mine = Collection.objects.create(owner=reader, name="Thesis", slug="thesis")
    client.force_login(reader)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            post(client, format="ids", collection=str(mine.pk), pasted="1412.6980\n1512.03385")
    assert mine.items.count() == 2
    last = LibraryImport.objects.first()
    page = client.get(reverse("import_report", args=[last.pk])).content.decode()
    assert page.count("already in the collection") == 2


def test_another_readers_collection_cannot_be_chosen(client, reader, immediate):
    theirs = Collection.objects.create(owner=make_user("other"), name="Theirs", slug="theirs")
    client.force_login(reader)
    response = post(client, format="ids", collection=str(theirs.pk), pasted="1412.6980")
    assert response.status_code == 400 and LibraryImport.objects.count() == 0


def test_a_new_collection_needs_a_name_and_slugs_do_not_collide(client, reader, immediate):
    client.force_login(reader)
    response = post(client, format="ids", new_name="  ", pasted="1412.6980")
    assert response.status_code == 400 and "Name the new collection." in response.content.decode()
    post(client, format="ids", new_name="Reading", pasted="1412.6980")
    post(client, format="ids", new_name="Reading", pasted="1412.6980")
    assert sorted(Collection.objects.values_list("slug", flat=True)) == ["reading", "reading-2"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a file to upload, or paste your list."),
        ({"file": ("empty.bib", b"")}, "The submitted file is empty."),
        ({"file": ("blank.bib", b"\n \n")}, "The file is empty."),
        ({"file": ("nul.bib", b"@misc{a,\n title={A}\x00}")}, "a NUL byte on line 2"),
        (
            {"file": ("picture.bib", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)},
            "This is not a text file",
        ),
        (
            {"format": "ris", "file": ("zotero.bib", None)},
            "the file looks like BibTeX. Choose that format.",
        ),
        (
            {"format": "csl-json", "file": ("bad.json", b'[{"title": "A"}\n{"title": "B"}]')},
            "This is not valid JSON: line 2, column 1: Expecting &#x27;,&#x27; delimiter.",
        ),
        (
            {"format": "bibtex", "pasted": "x", "file": ("zotero.bib", None)},
            "Choose a file or paste text, not both.",
        ),
        ({"format": "nonsense", "pasted": "2501.01234"}, "Select a valid choice."),
        (
            {"format": "ids", "pasted": "<script>alert(1)</script>"},
            "is neither an arXiv id, an arXiv link nor a DOI",
        ),
    ],
)
@pytest.mark.usefixtures("immediate")
def test_uploads_that_cannot_be_read_are_refused_with_a_reason(
    client, reader, fields, message, django_capture_on_commit_callbacks
):
    client.force_login(reader)
    if "file" in fields:
        name, content = fields["file"]
        fields = {**fields, "file": upload(name, content)}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, **fields)
    page = response.content.decode()
    if "neither" in message:  # the pasted list is read by the job: reported, escaped
        job = LibraryImport.objects.get()
        page = client.get(reverse("import_report", args=[job.pk])).content.decode()
        assert "alert(1)</script" not in page and "alert(1)&lt;/script" in page
    else:
        assert response.status_code == 400
        assert LibraryImport.objects.count() == 0
    assert message in page


def test_an_overlong_file_is_refused(client, reader, immediate):
    client.force_login(reader)
    big = b"%" * (formats.MAX_BYTES + 10)
    response = post(client, file=upload("huge.bib", big))
    assert response.status_code == 400 and "at most 20 MB" in response.content.decode()


def test_the_report_is_its_owners_only(client, reader, catalogue, start):
    job = start("ids", text="1412.6980", run_it=False)
    url = reverse("import_report", args=[job.pk])
    assert client.get(url).status_code == 302  # signed out: to the log-in page
    client.force_login(make_user("other"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "resume"}).status_code == 404
    assert client.get(reverse("import_report", args=[99999])).status_code == 404


def test_progress_while_the_job_runs(client, reader, catalogue, start):
    job = start("ids", text="1412.6980\n1512.03385", run_it=False)
    client.force_login(reader)
    url = reverse("import_report", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Waiting to start" in page
    assert f'hx-get="{url}?part=progress"' in page and 'hx-trigger="every 2s"' in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'href="{url}">Reload</a>' in page

    LibraryImport.objects.filter(pk=job.pk).update(
        state="running",
        step="Fetching 2 papers from arXiv",
        read=True,
        entries_total=2,
        entries_done=1,
        to_fetch=2,
        fetched=1,
    )
    part = client.get(url + "?part=progress", HTTP_HX_REQUEST="true")
    text = part.content.decode()
    assert "<html" not in text and "Fetching 2 papers from arXiv" in text
    assert '<progress max="2" value="1">' in text and "1 of 2 papers fetched from arXiv" in text
    assert "HX-Refresh" not in part

    from dailypapers.library.imports import job as import_job

    LibraryImport.objects.filter(pk=job.pk).update(state="queued", read=False)
    import_job.run(job.pk)
    done = client.get(url + "?part=progress", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


@pytest.mark.usefixtures("catalogue", "immediate")
def test_a_stopped_job_can_be_run_again_from_the_report(
    client, reader, start, django_capture_on_commit_callbacks
):
    job = start("ids", text="1412.6980", run_it=False)
    LibraryImport.objects.filter(pk=job.pk).update(state="failed", error="The import stopped.")
    client.force_login(reader)
    url = reverse("import_report", args=[job.pk])
    assert "Run it again" in client.get(url).content.decode()
    assert client.get(url + "?action=resume").status_code == 200  # GET changes nothing
    job.refresh_from_db()
    assert job.state == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "resume"}).status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and job.collection.items.count() == 1


def test_an_unreadable_file_cannot_be_run_again(client, reader, start):
    job = start("csl-json", text="[{]")
    client.force_login(reader)
    page = client.get(reverse("import_report", args=[job.pk])).content.decode()
    assert "The file could not be read." in page and "Run it again" not in page
    assert "line 1, column 3" in page


def test_a_long_report_is_paged(client, reader, catalogue, start, no_fetch):
    job = start("ids", text="\n".join(f"2401.{n:05d}" for n in range(1, 451)))
    client.force_login(reader)
    url = reverse("import_report", args=[job.pk])
    first = client.get(url).content.decode()
    assert "Page 1 of 3" in first and "2401.00200" in first and "2401.00201" not in first
    last = client.get(url + "?show=all&page=3").content.decode()
    assert "2401.00450" in last
    assert client.get(url + "?show=<x>&page=abc").status_code == 200


def test_no_field_of_the_form_gives_a_5xx(client, reader, settings):
    """The corpus of bad values of tests/core/test_bad_input.py, in each field in turn."""
    from tests.core.test_bad_input import BAD, _in_form

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.FETCH_MISSING_PAPERS = False
    mine = Collection.objects.create(owner=reader, name="Mine", slug="mine")
    client.force_login(reader)
    client.raise_request_exception = False
    good = {"format": "ids", "pasted": "2501.01234", "collection": str(mine.pk), "new_name": ""}
    failures = []
    for field in good:
        for value in BAD:
            body = "&".join(f"{k}={_in_form(value if k == field else v)}" for k, v in good.items())
            response = client.generic(
                "POST", reverse("import"), body, content_type="application/x-www-form-urlencoded"
            )
            if response.status_code >= 500:
                failures.append((field, repr(value)[:40]))
    for value in BAD:
        for fmt in ("bibtex", "ris", "csl-json", "ids"):
            content = "%FF%FE" if not isinstance(value, str) else value
            data = {
                "format": fmt,
                "collection": str(mine.pk),
                "file": upload("x", content.encode()),
            }
            if client.post(reverse("import"), data).status_code >= 500:
                failures.append((fmt, repr(value)[:40]))
    assert not failures, failures
    from dailypapers.library.imports import job as import_job

    accepted = list(LibraryImport.objects.values_list("pk", flat=True))
    assert accepted  # some values are fine (or read later): the job reads them, without a crash
    for pk in accepted:
        done = import_job.run(pk)
        assert done.state == "done" or "stopped" not in done.error, done.error


def test_a_job_whose_worker_went_away_can_be_run_again(client, reader, catalogue, start):
    from datetime import timedelta

    from django.utils import timezone

    job = start("ids", text="1412.6980", run_it=False)
    client.force_login(reader)
    url = reverse("import_report", args=[job.pk])
    LibraryImport.objects.filter(pk=job.pk).update(state="running", touched_at=timezone.now())
    assert "Run it again" not in client.get(url).content.decode()  # it is working
    long_ago = timezone.now() - timedelta(minutes=20)
    LibraryImport.objects.filter(pk=job.pk).update(touched_at=long_ago)
    page = client.get(url).content.decode()
    assert "the job seems to have stopped" in page and "Run it again" in page
    client.post(url, {"action": "resume"})
    job.refresh_from_db()
    assert job.state == "queued"  # back in the queue (the test's queue runs nothing)


def test_the_embedded_worker_runs_an_import_from_the_form(
    client, reader, catalogue, settings, django_capture_on_commit_callbacks
):
    """The site's own queue (the database backend) and `dailypapers worker --batch`."""
    from django.core.management import call_command

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        pytest.skip("production mode runs jobs on RQ workers, not the database queue")
    settings.FETCH_MISSING_PAPERS = False
    client.force_login(reader)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, format="ids", pasted="1412.6980\n1512.03385")
    job = LibraryImport.objects.get()
    assert job.state == "queued"
    call_command("worker", "--batch", verbosity=0)
    job.refresh_from_db()
    assert job.state == "done" and job.collection.items.count() == 2


@pytest.mark.parametrize("size", [MAX_PASTED + 1, 3_000_000])
def test_overlong_pasted_text_is_refused(client, reader, immediate, size):
    """Over the field's limit: its message; over the request body's: a plain 400."""
    client.force_login(reader)
    client.raise_request_exception = False
    response = post(client, format="ids", pasted="1" * size)
    assert response.status_code == 400 and LibraryImport.objects.count() == 0
    if size == MAX_PASTED + 1:
        assert "upload it as a file instead" in response.content.decode()


def test_the_report_page_costs_the_same_queries_for_3_entries_or_200(
    client, reader, catalogue, start, no_fetch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dailypapers.catalog.records import PaperRecord
    from dailypapers.catalog.upsert import upsert_papers

    upsert_papers(
        [
            PaperRecord(arxiv_id=f"2401.{n:05d}", version=1, title=f"Paper {n}")
            for n in range(1, 301)
        ],
        source="test",
    )
    small = start("ids", text="1412.6980\n1512.03385\n2501.99999")
    big = start("ids", text="\n".join(f"2401.{n:05d}" for n in range(1, 301)))
    client.force_login(reader)
    counts = []
    for job in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("import_report", args=[job.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert big.entries.filter(outcome="added").count() == 300  # each row links its paper
