"""Importing a library in Chromium: upload a BibTeX file through the form, watch the report
follow the job (htmx polling), read the outcome of each entry; photographed at 390 and
1440 px and scanned for accessibility."""

from __future__ import annotations

import pytest

from dailypapers.library.imports import job as import_job
from dailypapers.library.models import LibraryImport
from tests.community.helpers import make_user
from tests.library.conftest import FIXTURES, catalogue

from .conftest import shoot

__all__ = ["catalogue"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_a_bibtex_file_and_read_the_report(live_server, browser, catalogue, settings):
    # Jobs wait in a queue no worker reads: the test runs the job itself, mid-way.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.FETCH_MISSING_PAPERS = False
    make_user("reader")
    url = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/import")
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/import")
    state = context.storage_state()

    page.get_by_label("BibTeX (.bib)").check()
    page.get_by_label("File").set_input_files(str(FIXTURES / "zotero.bib"))
    page.get_by_label("Name of the new collection").fill("From Zotero")
    page.get_by_role("button", name="Import").click()
    job = LibraryImport.objects.get()
    page.wait_for_url(f"{url}/import/{job.pk}")
    assert "Waiting to start" in page.inner_text("#import-progress")
    report_url = page.url

    problems = shoot(browser, f"{url}/import", "import-form", storage_state=state)
    problems += shoot(browser, report_url, "import-waiting", storage_state=state)

    LibraryImport.objects.filter(pk=job.pk).update(
        state="running",
        step="Fetching 120 papers from arXiv",
        read=True,
        entries_total=9,
        entries_done=4,
        to_fetch=120,
        fetched=100,
    )
    problems += shoot(browser, report_url, "import-running", storage_state=state)
    LibraryImport.objects.filter(pk=job.pk).update(
        state="queued",
        step="",
        read=False,
        entries_total=0,
        entries_done=0,
        to_fetch=0,
        fetched=0,
    )

    page.evaluate("window.notReloadedYet = true")
    import_job.run(job.pk)
    # The progress poll sees the job done and reloads the page, with every entry.
    page.wait_for_selector(".import-entries", timeout=10_000)
    assert page.evaluate("window.notReloadedYet") is None
    entries = page.locator(".import-entry")
    assert entries.count() == 9
    first = page.locator("#entry-1")
    assert "added" in first.inner_text() and "by arXiv id" in first.inner_text()
    assert "by DOI" in page.locator("#entry-4").inner_text()
    assert "by title" in page.locator("#entry-5").inner_text()
    assert "not in this site's catalogue" in page.locator("#entry-6").inner_text()
    assert "no paper in the catalogue has this DOI or this title" in page.content()
    page.get_by_role("link", name="Not found").click()
    page.wait_for_url(f"{report_url}?show=not-found")
    assert page.locator(".import-entry").count() == 4

    problems += shoot(browser, report_url, "import-report", storage_state=state)
    problems += shoot(
        browser, report_url + "?show=not-found", "import-not-found", storage_state=state
    )

    # the form's own errors: the wrong format chosen
    page.goto(f"{url}/import")
    page.get_by_label("RIS (.ris)").check()
    page.get_by_label("File").set_input_files(str(FIXTURES / "zotero.bib"))
    page.get_by_label("Name of the new collection").fill("Oops")
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("#file-error")
    assert "looks like BibTeX" in page.inner_text("#file-error")
    context.close()
    assert problems == []
