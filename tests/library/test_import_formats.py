"""Reading the files readers bring, and refusing the ones that cannot be read, with where."""

from __future__ import annotations

import json

import pytest

from dailypapers.library.imports import formats
from dailypapers.library.imports.matching import arxiv_id_of, doi_of, title_key

from .conftest import fixture_text


def read(fmt: str, text: str) -> list[formats.Entry]:
    return list(formats.read(fmt, text))


def unreadable(fmt: str, text: str) -> str:
    with pytest.raises(formats.Unreadable) as caught:
        read(fmt, text)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2501.01234", "2501.01234"),
        ("2501.01234v3", "2501.01234"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math/0309136"),
        ("https://arxiv.org/abs/2501.01234v2", "2501.01234"),
        ("http://arxiv.org/pdf/1706.03762v7.pdf", "1706.03762"),
        ("arXiv:1810.04805 [cs]", "1810.04805"),
        ("arXiv preprint arXiv:1412.6980", "1412.6980"),
        ("arXiv: 2106.09685", "2106.09685"),
        ("See http://export.arxiv.org/abs/hep-th/9711200 for details", "hep-th/9711200"),
        ("Physical Review D 12 (2001)", None),
        ("10.1103/PhysRevD.1.1", None),
    ],
)
def test_arxiv_ids_in_fields(text, expected):
    assert arxiv_id_of(text) == expected


def test_dois():
    assert doi_of("https://doi.org/10.1023/A:1026654312961") == "10.1023/a:1026654312961"
    assert doi_of("doi:10.1145/3292500.3330701.") == "10.1145/3292500.3330701"
    assert doi_of("no doi here") is None


def test_title_keys_fold_tex_accents_case_and_punctuation():
    assert title_key("{BERT}: {Pre}-training of {Deep} Transformers") == (
        "bert pre training of deep transformers"
    )
    assert title_key("On $\\alpha$-divergences and {M{\\\"u}ller}'s theorem") == title_key(
        "On $\\alpha$-Divergences and Müller's Theorem"
    )
    assert title_key("\\emph{Deep} $\\beta$-VAE and \\v{C}ech: Erd\\H{o}s, Stra\\ss e") == (
        title_key("Deep $\\beta$-VAE and Čech: Erdős, Straße")
    )
    assert title_key("Caf{\\'e}  society\n") == title_key("CAFÉ — Society") == "cafe society"


def test_zotero_bibtex_fields():
    entries = {e.key: e for e in read("bibtex", fixture_text("zotero.bib"))}
    assert entries["dosovitskiy_image_2021"].arxiv_id == "2010.11929"
    assert entries["dosovitskiy_image_2021"].line == 2
    assert entries["devlin_bert_2019"].doi == "10.48550/arxiv.1810.04805"
    assert (
        entries["muller_divergences_2019"].title == "On $\\alpha$-divergences and Müller's theorem"
    )
    assert entries["untitled_book"].title == "" and entries["untitled_book"].arxiv_id is None


def test_an_eprint_of_another_archive_is_not_taken_for_arxiv():
    text = "@article{k, title={A thing}, eprint={2501.01234}, eprinttype={pubmed}}"
    assert read("bibtex", text)[0].arxiv_id is None


def test_a_broken_bibtex_entry_names_its_lines_and_the_rest_is_read():
    entries = read("bibtex", fixture_text("malformed.bib"))
    assert [e.key for e in entries] == ["good_one", "", "after_the_break"]
    assert entries[1].error == (
        "Lines 7-11: this entry could not be read: Unexpected block start: `@misc`. "
        "Was still looking for field-value closing `}`."
    )


def test_a_bibtex_file_that_is_all_broken():
    message = unreadable("bibtex", "\n\n@article{x,\n  title = {A}")
    assert message == (
        "Nothing in the file could be read. Lines 3-4: this entry could not be read: "
        "Unexpectedly reached end of file."
    )


def test_ris_record_without_end_and_text_outside_records():
    text = "TY  - JOUR\nTI  - One\nER  - \nAU  - Stray, A.\nTY  - JOUR\nTI  - Two\n"
    entries = read("ris", text)
    assert [(e.line, e.title, e.error) for e in entries] == [
        (1, "One", ""),
        (4, "", "Line 4: 'AU  - Stray, A.' is outside a record"),
        (5, "", "Line 5: the record has no end ('ER  - ' line)"),
    ]


def test_csl_json_errors_name_line_and_column():
    assert unreadable("csl-json", '[{"title": "A",\n "DOI": "10.1/x",,}]') == (
        "This is not valid JSON: line 2, column 18: Expecting property name enclosed in double "
        "quotes."
    )
    assert "expected a list of items" in unreadable("csl-json", '"just a string"')
    assert unreadable("csl-json", "[" * 100_000 + "]" * 100_000).startswith("This JSON is")
    entries = read("csl-json", json.dumps([{"title": "A title here"}, 3]))
    assert entries[1].error == "Item 2 is not an object"


@pytest.mark.parametrize(
    ("chosen", "name", "message"),
    [
        (
            "ris",
            "zotero.bib",
            "No RIS records (lines from 'TY  - ' to 'ER  - ') were found: "
            "the file looks like BibTeX. Choose that format.",
        ),
        (
            "bibtex",
            "zotero.ris",
            "No BibTeX entries (such as @article{key, ...}) were found: "
            "the file looks like RIS. Choose that format.",
        ),
        (
            "bibtex",
            "zotero.json",
            "No BibTeX entries (such as @article{key, ...}) were found: "
            "the file looks like CSL-JSON. Choose that format.",
        ),
        ("csl-json", "zotero.bib", "This is not valid JSON: line 2, column 1: Expecting value."),
    ],
)
def test_the_wrong_format_chosen(chosen, name, message):
    assert unreadable(chosen, fixture_text(name)) == message


def test_bytes_that_are_not_a_text_file():
    with pytest.raises(formats.Unreadable, match="The file is empty"):
        formats.decode(b"  \n\t\n")
    with pytest.raises(formats.Unreadable, match="a NUL byte on line 2"):
        formats.decode(b"@misc{a,\n\x00\x00}")
    with pytest.raises(formats.Unreadable, match=r"not a text file|control characters"):
        formats.decode(bytes(range(1, 9)) * 100)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with pytest.raises(formats.Unreadable):
        formats.decode(png)
    assert formats.decode("title = {Müller}".encode("cp1252")) == "title = {Müller}"
    assert formats.decode("\ufeff@misc{a, title={A}}".encode()) == "@misc{a, title={A}}"


def test_a_file_over_the_size_cap():
    with pytest.raises(formats.Unreadable, match="at most 20 MB"):
        formats.decode(b"x" * (formats.MAX_BYTES + 1))


def test_more_entries_than_the_cap():
    text = "\n".join(f"2401.{n:05d}" for n in range(1, formats.MAX_ENTRIES + 2))
    assert unreadable("ids", text) == (
        "The file holds 10,001 entries; at most 10,000 can be imported at once. "
        "Split it into smaller files."
    )


def test_pasted_list_separators_and_comments():
    entries = read(
        "ids", "# mine\n2501.01234, 2501.01235;2501.01236\n\n<https://arxiv.org/abs/2501.01237>"
    )
    assert [(e.line, e.arxiv_id) for e in entries] == [
        (2, "2501.01234"),
        (2, "2501.01235"),
        (2, "2501.01236"),
        (4, "2501.01237"),
    ]
    assert unreadable("ids", "# only a comment\n") == (
        "No arXiv ids, arXiv links or DOIs were found in the file."
    )
