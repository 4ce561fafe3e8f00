"""The bulk backfill (run on the CPU here), its folder of vectors and reading it back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from papersearch import SearchIndex
from papersearch.backfill import (
    PrecomputedEmbedder,
    VectorFile,
    backfill,
    fold_text,
    vector_keys,
    write_vectors,
)
from papersearch.embed import MODEL_NAME, MiniLMEmbedder, plain_encode
from tests.papersearch.conftest import WordEmbedder, make_paper

# As arXiv's snapshot has them: abstracts hard-wrapped with a leading indent, a title broken
# over two lines, a second paragraph, a stray control character.
RECORDS = [
    (
        "2501.00001",
        "Attention is all\n  you need",
        "  We propose a new architecture\nbased on attention.\n",
    ),
    (
        "2501.00002",
        "Dark matter halos",
        "  We simulate galaxy\nclusters.\n  A second paragraph\nfollows.\n",
    ),
    ("2501.00003", "Surface codes", "Quantum error correction with a lattice\x0c of qubits."),
    ("2501.00004", "Short", ""),
    ("2501.00005", "Reward models", "  Overoptimization of reward\nmodels in language models.\n"),
    ("2501.00006", "Long", "  Longer than the model reads:\n" + "tokens of text " * 120),
]
RECORDS_AS_LINES = [json.dumps({"id": i, "title": t, "abstract": a}) for i, t, a in RECORDS]
# The same papers as the catalogue keeps them (clean_line titles, paragraphs of clean_abstract)
CATALOGUE = [
    "Attention is all you need. We propose a new architecture based on attention.",
    "Dark matter halos. We simulate galaxy clusters.\n\nA second paragraph follows.",
    "Surface codes. Quantum error correction with a lattice of qubits.",
    "Short. ",
    "Reward models. Overoptimization of reward models in language models.",
    "Long. Longer than the model reads: " + ("tokens of text " * 120).strip(),
]


def write_snapshot(path: Path, lines: list[str] = RECORDS_AS_LINES) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    return path


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def run(snapshot: Path, out: Path, **options: object):
    # one paper a block: more blocks than the two workers may have ahead of the model
    settings: dict[str, object] = {"device": "cpu", "workers": 2, "batch_size": 2, "block_size": 1}
    settings.update(options)
    return backfill(snapshot, out, **settings)  # type: ignore[arg-type]


def test_backfill_writes_the_vectors_the_index_would_compute(tmp_path, embedder) -> None:
    snapshot = write_snapshot(tmp_path / "snap.jsonl.gz")
    result = run(snapshot, tmp_path / "out")
    assert (result.papers, result.embedded, result.resumed) == (6, 6, 0)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "ids.txt",
        "keys.npy",
        "meta.json",
        "vectors.npy",
    ]
    assert (out / "ids.txt").read_text().split() == [r[0] for r in RECORDS]
    file = VectorFile(out)
    assert len(file) == 6 and file.model_name == MODEL_NAME
    # every paper is found under the text the catalogue keeps, not only the snapshot's
    rows = file.rows_of(vector_keys(MODEL_NAME, CATALOGUE))
    assert rows.tolist() == [0, 1, 2, 3, 4, 5]
    expected = plain_encode(embedder.model, CATALOGUE)
    assert (file.read(rows) * expected).sum(axis=1).min() >= 0.999
    assert file.rows_of(vector_keys(MODEL_NAME, ["Surface codes. Another text."])).tolist() == [-1]
    again = run(snapshot, out)  # the same command after it ended: nothing to do
    assert (again.papers, again.embedded, again.resumed) == (6, 0, 6)
    assert VectorFile(out).rows_of(vector_keys(MODEL_NAME, CATALOGUE)).tolist() == rows.tolist()
    other = write_snapshot(tmp_path / "other.jsonl.gz", [RECORDS_AS_LINES[0]])
    with pytest.raises(ValueError, match="finished vectors of another snapshot"):
        run(other, out)  # never written over
    assert len(VectorFile(out)) == 6


def test_interrupted_backfill_goes_on_from_its_finished_blocks(tmp_path, embedder) -> None:
    snapshot = write_snapshot(tmp_path / "snap.jsonl.gz")
    out = tmp_path / "out"

    def stop_after_first_block(done: int, resumed: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(snapshot, out, progress=stop_after_first_block)
    assert [p.name for p in sorted((out / "blocks").glob("*.npy"))] == ["000000000000.npy"]
    with pytest.raises(ValueError, match="not a finished backfill folder"):
        VectorFile(out)
    with pytest.raises(ValueError, match="another snapshot or block size"):
        run(snapshot, out, block_size=3)  # the blocks left do not fit this run: refused

    seen: list[tuple[int, int]] = []
    result = run(snapshot, out, progress=lambda done, resumed: seen.append((done, resumed)))
    assert (result.papers, result.embedded, result.resumed) == (6, 5, 1)
    assert seen[-1] == (6, 1)
    assert not (out / "blocks").exists()
    file = VectorFile(out)
    expected = plain_encode(embedder.model, CATALOGUE)
    assert (file.read(np.arange(6)) * expected).sum(axis=1).min() >= 0.999


def test_a_line_that_is_not_a_record_is_a_clear_error(tmp_path) -> None:
    snapshot = write_snapshot(
        tmp_path / "bad.jsonl.gz", ['{"id": "2501.00001", "title": "A"}', "{not json"]
    )
    with pytest.raises(ValueError, match="line 2: not a snapshot record"):
        run(snapshot, tmp_path / "out")


def test_folding_keeps_words_apart() -> None:
    assert fold_text("  a\nb\t\tc\r\n\nd\x00e\x0cf ") == "a b c def"
    assert vector_keys("m", ["a  b"])[0] == vector_keys("m", ["a\n\nb"])[0]
    assert vector_keys("m", ["a b"])[0] != vector_keys("other", ["a b"])[0]
    assert vector_keys("m", ["ab"])[0] != vector_keys("m", ["a b"])[0]


def test_precomputed_vectors_stand_in_for_the_model(tmp_path) -> None:
    words = WordEmbedder()
    texts = ["Graph networks. We study graphs.", "Dark matter. We study halos."]
    vectors = words.embed(texts)
    words.embedded.clear()
    write_vectors(
        tmp_path / "vectors",
        ["2501.00001", "2501.00002"],
        vector_keys(words.model_name, texts),
        vectors,
        words.model_name,
    )
    source = PrecomputedEmbedder(words, VectorFile(tmp_path / "vectors"))
    index = SearchIndex.open(tmp_path / "index", source)
    index.add(
        [
            make_paper(1, title="Graph networks", abstract="We study\ngraphs."),  # wrapped: found
            make_paper(2, title="Dark matter", abstract="We study halos, changed since."),
            make_paper(3, title="Surface codes", abstract="Not in the file."),
        ]
    )
    assert (source.from_file, source.computed) == (1, 2)
    assert words.embedded == [
        "Dark matter. We study halos, changed since.",
        "Surface codes. Not in the file.",
    ]
    assert np.allclose(index.vector("2501.00001"), vectors[0], atol=2e-3)  # stored as float16
    assert index.stats().unembedded == 0


def test_vectors_of_another_model_are_refused(tmp_path) -> None:
    write_vectors(
        tmp_path / "v", ["x"], vector_keys("other-model", ["x"]), np.ones((1, 384)), "other-model"
    )
    with pytest.raises(ValueError, match="other-model"):
        PrecomputedEmbedder(WordEmbedder(), VectorFile(tmp_path / "v"))
    with pytest.raises(ValueError, match="not a finished backfill folder"):
        VectorFile(tmp_path / "nothing")


def test_a_gzipped_snapshot_is_known_by_its_bytes_not_its_name(tmp_path) -> None:
    """As the importer does: a compressed snapshot without .gz in its name is read."""
    from papersearch.backfill import snapshot_texts

    path = write_snapshot(tmp_path / "snap.jsonl.gz")
    renamed = path.rename(tmp_path / "arxiv-metadata-oai-snapshot.json")
    assert len(list(snapshot_texts(renamed))) == len(RECORDS_AS_LINES)
