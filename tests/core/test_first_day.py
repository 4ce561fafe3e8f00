"""What a new site tells its operator on its first day: it follows Hugging Face unless told
not to, and an empty catalogue's page says where arXiv's snapshot comes from and how to bring
in HF's history (so does the README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.core.test_settings import _probe

FOLLOW = (
    "import django; django.setup(); from django.conf import settings; print(settings.FOLLOW_HF)"
)


def test_a_new_site_follows_hf_and_one_setting_turns_it_off(tmp_path: Path):
    env = {"DAILYPAPERS_DATA_DIR": str(tmp_path)}
    assert _probe(env, FOLLOW).stdout.strip() == "True"
    off = _probe({**env, "DAILYPAPERS_FOLLOW_HF": "false"}, FOLLOW)
    assert off.stdout.strip() == "False", off.stderr
    doc = (REPO / "docs" / "configuration.md").read_text()
    assert "| `DAILYPAPERS_FOLLOW_HF` | `true` |" in doc


@pytest.mark.django_db
def test_the_empty_catalogue_page_says_where_the_snapshot_comes_from(client):
    page = client.get("/").content.decode()
    assert "<code>dailypapers ingest snapshot FILE</code>" in page
    assert "arxiv-metadata-oai-snapshot.json" in page
    assert 'href="https://www.kaggle.com/datasets/Cornell-University/arxiv"' in page
    assert "<code>dailypapers ingest hf --days 30</code>" in page


def test_the_readme_says_where_the_snapshot_comes_from_and_how_to_read_hfs_history():
    readme = (REPO / "README.md").read_text()
    assert "https://www.kaggle.com/datasets/Cornell-University/arxiv" in readme
    assert "dailypapers ingest hf --days 90" in readme
    assert "DAILYPAPERS_FOLLOW_HF=false" in readme
