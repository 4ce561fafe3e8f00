"""Text folded as the embedding model reads it, shared with the catalogue that stores it.

The keys of precomputed vectors are hashes of folded text (``backfill.vector_keys``), so
that an abstract as a snapshot file wraps it and the same abstract as the catalogue keeps it
(its titles and names are folded by this same function) find one vector. Changing what
``fold_text`` does changes every key and every stored vector would be embedded again
(tests/papersearch/test_text.py pins a few keys)."""

from __future__ import annotations

# Control characters other than tab, newline and carriage return: the model's tokeniser drops
# them, and so does the catalogue.
CONTROL_CHARACTERS: dict[int, None] = {
    c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]
}


def fold_text(text: str) -> str:
    """The text as the tokeniser sees it: control characters dropped and every run of white
    space (as ``str.split`` knows it, Unicode spaces too) one space; nothing else changes."""
    return " ".join(text.translate(CONTROL_CHARACTERS).split())
