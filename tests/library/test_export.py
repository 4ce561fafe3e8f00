"""Exports read back with the parsers an import uses (bibtexparser, json): nothing is lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import bibtexparser
import pytest
from bibtexparser.middlewares import SeparateCoAuthors

from dailypapers.library.export import Cited, csl_name, to_bibtex, to_csl_json
from dailypapers.library.models import CollectionItem
from dailypapers.library.services import add, create_collection, reading_list
from tests.community.helpers import make_paper

TITLE = r"Schrödinger's {BERT}: $\mathcal{O}(n \log n)$ attention for Zürich \& Łódź"
AUTHORS = (
    "Ada Lovelace",
    "Jean-Pierre van der Berg",
    "Martin Luther King Jr.",
    "Zoë Ångström",
    "Research and Development Team",
    "Madonna",
)
ABSTRACT = 'We show 100% of "things" {work}.\nA second line; @mentions and # hashes.'
NOTE = "Read §3 first.\n\n@article{not-an-entry,\nand braces } that do not { pair"


def _cited(**overrides: object) -> Cited:
    values: dict[str, object] = {
        "arxiv_id": "2501.01234",
        "title": TITLE,
        "authors": AUTHORS,
        "abstract": ABSTRACT,
        "doi": "10.1000/xyz-123(4)",
        "submitted": datetime(2025, 1, 31, 18, 0, tzinfo=UTC),
        "primary_category": "cs.LG",
        "note": "My note",
    }
    values.update(overrides)
    return Cited(**values)  # type: ignore[arg-type]


def _parse(text: str) -> dict[str, dict[str, object]]:
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors()])
    assert library.failed_blocks == []
    return {
        entry.key: {field.key: field.value for field in entry.fields} for entry in library.entries
    }


def test_bibtex_round_trip_keeps_everything():
    old = _cited(arxiv_id="hep-th/9901001", title="Old {style}", note="", doi="")
    entries = _parse(to_bibtex([_cited(), old]))
    assert list(entries) == ["arXiv:2501.01234", "arXiv:hep-th_9901001"]
    entry = entries["arXiv:2501.01234"]
    assert entry["title"] == TITLE
    names = [n.strip("{}") for n in entry["author"]]  # type: ignore[union-attr]
    assert names == list(AUTHORS)
    assert entry["year"] == "2025" and entry["month"] == "1"
    assert entry["eprint"] == "2501.01234" and entry["archiveprefix"] == "arXiv"
    assert entry["doi"] == "10.1000/xyz-123(4)"
    assert entry["url"] == "https://arxiv.org/abs/2501.01234"
    assert entry["abstract"] == ABSTRACT
    assert entry["note"] == "My note"
    assert entries["arXiv:hep-th_9901001"]["eprint"] == "hep-th/9901001"
    assert "note" not in entries["arXiv:hep-th_9901001"]


def test_what_bibtex_cannot_hold_is_made_safe_and_the_rest_survives():
    """Unpaired braces are escaped, a line starting with @ is guarded: the file still parses
    into the same entries, and the text reads the same."""
    text = to_bibtex([_cited(note=NOTE, title="a } b {"), _cited(arxiv_id="2501.00002")])
    entries = _parse(text)
    assert list(entries) == ["arXiv:2501.01234", "arXiv:2501.00002"]
    assert entries["arXiv:2501.01234"]["title"] == r"a \} b \{"
    assert entries["arXiv:2501.01234"]["note"] == (
        "Read §3 first.\n\n{}@article{not-an-entry,\nand braces } that do not \\{ pair"
    )
    assert entries["arXiv:2501.00002"]["title"] == TITLE


def test_csl_json_round_trip_keeps_everything():
    items = json.loads(to_csl_json([_cited(note=NOTE)]))
    (item,) = items
    assert item["id"] == "2501.01234" and item["type"] == "article"
    assert item["title"] == TITLE and item["abstract"] == ABSTRACT and item["note"] == NOTE
    assert item["issued"] == {"date-parts": [[2025, 1, 31]]}
    assert item["URL"] == "https://arxiv.org/abs/2501.01234"
    assert item["DOI"] == "10.1000/xyz-123(4)"
    assert item["number"] == "2501.01234" and item["archive"] == "arXiv"
    back = [" ".join(p[k] for k in ("given", "family", "suffix") if k in p) for p in item["author"]]
    assert back == list(AUTHORS)
    assert item["author"][1] == {"family": "van der Berg", "given": "Jean-Pierre"}
    assert item["author"][2] == {"family": "King", "given": "Martin Luther", "suffix": "Jr."}
    assert item["author"][5] == {"family": "Madonna"}


def test_csl_names():
    assert csl_name("Ada Lovelace") == {"family": "Lovelace", "given": "Ada"}
    assert csl_name("Ludwig van Beethoven") == {"family": "van Beethoven", "given": "Ludwig"}
    assert csl_name("   ") == {"literal": "   "}


@pytest.mark.django_db
def test_the_download_of_a_collection(client, cast):
    mine = create_collection(cast.owner, "Exported one", public=True)
    first = make_paper(title=TITLE, authors=list(AUTHORS), doi="10.1/abc")
    second = make_paper(title="Second paper")
    add(mine, first)
    add(mine, second)
    CollectionItem.objects.filter(paper=first).update(note="Why it matters")
    response = client.get("/c/owner/exported-one.bib")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="exported-one.bib"'
    entries = _parse(response.content.decode())
    assert list(entries) == [f"arXiv:{first.arxiv_id}", f"arXiv:{second.arxiv_id}"]
    assert entries[f"arXiv:{first.arxiv_id}"]["title"] == TITLE
    assert entries[f"arXiv:{first.arxiv_id}"]["note"] == "Why it matters"
    response = client.get("/c/owner/exported-one.json")
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json"
    items = json.loads(response.content)
    assert [i["id"] for i in items] == [first.arxiv_id, second.arxiv_id]
    assert items[0]["note"] == "Why it matters" and items[0]["DOI"] == "10.1/abc"
    page = client.get("/c/owner/exported-one").content.decode()
    assert 'href="/c/owner/exported-one.bib"' in page
    assert 'href="/c/owner/exported-one.json"' in page


@pytest.mark.django_db
def test_a_private_reading_list_exports_for_its_owner_only(client, cast):
    add(reading_list(cast.owner), make_paper(title="Mine alone"))
    assert client.get("/c/owner/reading-list.bib").status_code == 404
    client.force_login(cast.member)
    assert client.get("/c/owner/reading-list.json").status_code == 404
    client.force_login(cast.owner)
    assert "Mine alone" in client.get("/c/owner/reading-list.bib").content.decode()
    assert 'href="/c/owner/reading-list.bib"' in client.get("/saved").content.decode()
