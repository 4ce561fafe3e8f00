"""Folding text for the vector keys: what it does to tricky input, and the keys it gives.

The keys of every stored vector (a backfill's ``keys.npy``) are hashes of folded text; a
change to the folding would miss them all and embed the whole corpus again. The pinned
values below were computed before the folding moved to papersearch.text."""

from __future__ import annotations

import pytest

from papersearch.backfill import vector_keys
from papersearch.embed import MODEL_NAME
from papersearch.text import fold_text

# (input, folded): what fold_text keeps, drops and makes one space.
FOLDED = [
    ("", ""),
    ("   \n\t ", ""),
    ("\x00", ""),
    ("a\x00b", "ab"),  # NUL and other C0 controls are dropped, not spaces
    ("a\x1fb\x7fc", "abc"),
    ("a\x0bb\x0cc", "abc"),  # so are vertical tab and form feed
    ("a\tb", "a b"),
    ("a\r\n\r\nb", "a b"),
    ("  a  b  ", "a b"),
    ("a\u00a0b", "a b"),  # no-break space
    ("a\u2009b\u3000c\u202fd", "a b c d"),  # thin, ideographic, narrow no-break spaces
    ("a\u2028b\u2029c", "a b c"),  # line and paragraph separators
    ("a\x85b", "a b"),  # NEL is white space to str.split
    ("a\x9bb", "a\x9bb"),  # other C1 controls stay
    ("a\u200bb\ufeffc", "a\u200bb\ufeffc"),  # zero-width space and BOM are not white space
    ("e\u0301te\u0301", "e\u0301te\u0301"),  # combining marks stay, not composed
    ("Bal\\'azs {\\em x}", "Bal\\'azs {\\em x}"),  # TeX stays
]


@pytest.mark.parametrize(("raw", "folded"), FOLDED)
def test_folding(raw: str, folded: str) -> None:
    assert fold_text(raw) == folded
    assert fold_text(folded) == folded


PINNED = [
    (
        "Attention is all you need. We propose a new architecture based on attention.",
        0x1EB15BCB7048CBF,
    ),
    (
        "  Attention is all you need.\n  We propose a new\narchitecture based on attention.\n",
        0x1EB15BCB7048CBF,
    ),
    (
        "Dark matter halos. We simulate galaxy clusters.\n\nA second paragraph follows.",
        0x3690B5F15CF05408,
    ),
    (
        "Caf\u00e9 au lait\u00a0\u2014 e\u0301t\u00e9\x00\x0c, \u200bzero\u3000width",
        0xA57851B9CBA7EE5A,
    ),
    ("", 0xAE2491049FCED552),
]


def test_vector_keys_are_as_they_were() -> None:
    keys = vector_keys(MODEL_NAME, [text for text, _ in PINNED])
    assert [int(key) for key in keys] == [key for _, key in PINNED]
