"""`dailypapers index` and `index --rebuild`, and what `status` says about the index."""

import io
import shutil

import pytest
from django.core.management import CommandError, call_command

from dailypapers.catalog.models import Paper
from dailypapers.core.status import collect_status, format_status
from dailypapers.search import keeper
from dailypapers.search.holder import HOLDER
from papersearch.backfill import snapshot_texts, vector_keys, write_vectors
from tests.conftest import snapshot_line

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
    HOLDER.index().add([keeper.paper_document(Paper.objects.first())])
    Paper.objects.filter(arxiv_id="2501.00002").delete()
    out, err = run("--rebuild")
    assert "search index: 6 papers, 6 with vectors" in out
    assert "papers" in err  # progress
    assert "2501.00002" not in HOLDER.index()


def test_keywords_only_then_status_shows_progress(add_papers):
    add_papers(4)
    out, _ = run("--keywords-only")
    assert "4 papers, 0 with vectors" in out
    status = collect_status()["index"]
    assert (status["documents"], status["embedded"], status["pending"]) == (4, 0, 0)
    assert "embedding in the background" in format_status(collect_status())
    run()
    assert "all with vectors" in collect_status()["index"]["state"]


def test_vectors_from_a_backfill_of_the_snapshot(search_settings, write_snapshot, tmp_path):
    """A snapshot imported here and embedded elsewhere (`python -m papersearch.backfill`,
    with the test model standing in): its vectors are taken for every paper whose text is
    still the snapshot's, whatever white space arXiv wrapped it in."""
    lines = [
        snapshot_line(
            f"2501.{i:05d}",
            title=f"Graphs and\n  networks {i}",
            abstract=f"  We study graphs {i} with a\nwrapped line.\n  A second paragraph.\n",
        )
        for i in range(1, 5)
    ]
    snapshot = write_snapshot(lines)
    call_command("ingest", "snapshot", str(snapshot))
    words = HOLDER.embedder()
    ids, texts = zip(*snapshot_texts(snapshot), strict=True)
    keys = vector_keys(words.model_name, texts)
    write_vectors(tmp_path / "vectors", ids, keys, words.embed(texts), words.model_name)
    changed = Paper.objects.get(arxiv_id="2501.00004")
    changed.abstract = "Rewritten since the snapshot."
    changed.save()
    words.embedded.clear()

    out, _ = run("--vectors", str(tmp_path / "vectors"))
    assert "search index: 4 papers, 4 with vectors" in out
    assert "vectors: 3 taken from" in out and "1 computed here" in out
    assert words.embedded == ["Graphs and networks 4. Rewritten since the snapshot."]
    assert HOLDER.embedder() is words  # the folder is used for that command only
    out, _ = run("--rebuild", "--vectors", str(tmp_path / "vectors"))
    assert "vectors: 0 taken from" in out  # the index's own vectors come first

    HOLDER.forget()  # a bulk import's way: a fresh index built with the folder
    shutil.rmtree(search_settings.SEARCH_INDEX_DIR)
    words = HOLDER.embedder()
    out, _ = run("--rebuild", "--vectors", str(tmp_path / "vectors"))
    assert "search index: 4 papers, 4 with vectors" in out
    assert "vectors: 3 taken from" in out and "1 computed here" in out
    assert words.embedded == ["Graphs and networks 4. Rewritten since the snapshot."]

    with pytest.raises(CommandError, match="not a finished backfill folder"):
        run("--vectors", str(tmp_path / "nothing"))
    with pytest.raises(CommandError, match="do not go together"):
        run("--vectors", str(tmp_path / "vectors"), "--keywords-only")


def test_the_query_encoder_is_kept_in_the_data_folder(settings, tmp_path) -> None:
    """The site's model keeps its exported query graph under the data folder, which the
    service can write, not in a home folder a service account may not have."""
    settings.DATA_DIR = tmp_path
    settings.SEARCH_EMBEDDER = "papersearch.MiniLMEmbedder"
    HOLDER.forget()
    try:
        embedder = HOLDER.embedder()
        assert getattr(embedder, "cache_dir", None) == tmp_path / "models"
        assert getattr(embedder, "query_precision", None) == "int8"
        settings.QUERY_PRECISION = "float32"
        HOLDER.forget()
        assert getattr(HOLDER.embedder(), "query_precision", None) == "float32"
    finally:
        HOLDER.forget()
