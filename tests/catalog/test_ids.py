import pytest

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "arxiv_id", "version"),
    [
        ("2501.01234", "2501.01234", None),
        ("2501.01234v3", "2501.01234", 3),
        ("0704.0001", "0704.0001", None),
        ("1412.9999v2", "1412.9999", 2),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("math.GT/0309136", "math/0309136", None),
        ("cond-mat/0102536v1", "cond-mat/0102536", 1),
        ("arXiv:2501.01234v2", "2501.01234", 2),
        ("oai:arXiv.org:2508.13426v1", "2508.13426", 1),
        ("https://arxiv.org/abs/2501.01234", "2501.01234", None),
        ("http://arxiv.org/abs/hep-ex/0307015v1", "hep-ex/0307015", 1),
        ("https://arxiv.org/pdf/2501.01234v1.pdf", "2501.01234", 1),
        ("https://export.arxiv.org/abs/2501.01234?context=cs", "2501.01234", None),
        ("https://huggingface.co/papers/2501.01234", "2501.01234", None),
        ("  2501.01234  ", "2501.01234", None),
    ],
)
def test_parses_both_styles_urls_and_versions(text: str, arxiv_id: str, version: int | None):
    parsed = parse_arxiv_id(text)
    assert (parsed.id, parsed.version) == (arxiv_id, version)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("2513.01234", "month 13"),
        ("2501.1234", "5 digits"),  # from 2015 new ids have five digits
        ("1412.12345", "4 digits"),  # before 2015 four
        ("0612.0001", "April 2007"),
        ("2501.01234v0", "versions start at v1"),
        ("hello world", "not an arXiv id"),
        ("<script>alert(1)</script>", "not an arXiv id"),
        ("2501.01234'; DROP TABLE catalog_paper; --", "not an arXiv id"),
        ("1" * 5000, "too long"),
    ],
)
def test_rejects_with_a_reason(text: str, reason: str):
    with pytest.raises(InvalidArxivId, match=reason):
        parse_arxiv_id(text)
