"""`dailypapers manage import_library`: the import page's job, from the command line."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dailypapers.library.models import Collection, LibraryImport

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def test_import_a_file_then_again_into_the_same_collection(catalogue, reader, no_fetch, capsys):
    call_command("import_library", str(FIXTURES / "scholar.bib"), "--user", "reader")
    out = capsys.readouterr().out
    assert "into 'scholar': 3 entries, 2 added, 0 already there, 1 not found" in out
    assert "by arXiv id 1, DOI 0, title 1" in out
    collection = Collection.objects.get(owner=reader, slug="scholar")
    call_command(
        "import_library", str(FIXTURES / "scholar.bib"), "--user", "reader", "--into", "scholar"
    )
    assert "0 added, 2 already there" in capsys.readouterr().out
    assert collection.items.count() == 2


def test_refusals(reader, tmp_path):
    with pytest.raises(CommandError, match="there is no user 'nobody'"):
        call_command("import_library", str(FIXTURES / "zotero.ris"), "--user", "nobody")
    with pytest.raises(CommandError, match="looks like BibTeX"):
        call_command(
            "import_library", str(FIXTURES / "zotero.bib"), "--user", "reader", "--format", "ris"
        )
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_library", str(tmp_path / "missing.bib"), "--user", "reader")
    with pytest.raises(CommandError, match="has no collection 'thesis'"):
        call_command(
            "import_library", str(FIXTURES / "zotero.bib"), "--user", "reader", "--into", "thesis"
        )
    with pytest.raises(CommandError, match="there is no import 99"):
        call_command("import_library", "--resume", "99")
    assert LibraryImport.objects.count() == 0


def test_resume_a_stopped_import(catalogue, start, no_fetch, capsys):
    created = start("ids", text="1412.6980\n1512.03385", run_it=False)
    LibraryImport.objects.filter(pk=created.pk).update(state="failed", error="stopped")
    call_command("import_library", "--resume", str(created.pk))
    assert "2 added" in capsys.readouterr().out
