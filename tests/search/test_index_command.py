"""`dailypapers index` and `index --rebuild`, and what `status` says about the index."""

import io

import pytest
from django.core.management import call_command

from dailypapers.catalog.models import Paper
from dailypapers.core.status import collect_status, format_status
from dailypapers.search import keeper

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("index", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_index_takes_pending_papers(add_papers):
    add_papers(5)
    out, _ = run()
    assert "search index: 5 papers, 5 with vectors" in out
    assert Paper.objects.needing_index().count() == 0


def test_rebuild_from_the_catalogue(add_papers):
    add_papers(7)
    keeper.index_pending()
    keeper.get_index().add([keeper.paper_document(Paper.objects.first())])
    Paper.objects.filter(arxiv_id="2501.00002").delete()
    out, err = run("--rebuild")
    assert "search index: 6 papers, 6 with vectors" in out
    assert "papers" in err  # progress
    assert "2501.00002" not in keeper.get_index()


def test_keywords_only_then_status_shows_progress(add_papers):
    add_papers(4)
    out, _ = run("--keywords-only")
    assert "4 papers, 0 with vectors" in out
    status = collect_status()["index"]
    assert (status["documents"], status["embedded"], status["pending"]) == (4, 0, 0)
    assert "embedding in the background" in format_status(collect_status())
    run()
    assert "all with vectors" in collect_status()["index"]["state"]
