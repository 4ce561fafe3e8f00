import pytest

from dailypapers.catalog.text import clean_abstract, clean_line, clean_name
from tests.papersearch.test_text import FOLDED


def test_names_lose_tex_accents():
    assert clean_name("Bal\\'azs K\\\"onig") == "Balázs König"
    assert clean_name("  Jos{\\'e}  Garc\\'ia ") == "José García"
    assert clean_name("Plain Name") == "Plain Name"


def test_lines_and_abstracts():
    assert clean_line(" a\n  b\x00c\t") == "a bc"
    assert clean_abstract("  One\ntwo.\n  Three\nfour.\n") == "One two.\n\nThree four."
    assert clean_abstract("Math $x^2$ stays.") == "Math $x^2$ stays."


@pytest.mark.parametrize(("raw", "folded"), FOLDED)
def test_a_line_is_folded_as_the_vector_keys_fold_it(raw: str, folded: str) -> None:
    """A title as the catalogue keeps it is the text its vector key is made from, so a
    snapshot's vector is found for it."""
    assert clean_line(raw) == folded
