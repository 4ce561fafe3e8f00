"""Every setting of the live sources is documented in docs/sources.md."""

from __future__ import annotations

from pathlib import Path

from dailypapers.conf import ENV_VARS

DOC = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
PREFIXES = ("DAILYPAPERS_ARXIV_", "DAILYPAPERS_HF_", "DAILYPAPERS_HTTP_")
OTHERS = {"DAILYPAPERS_REFRESH_MINUTES", "DAILYPAPERS_FOLLOW_HF", "DAILYPAPERS_FIRST_FILL_DAYS"}


def test_each_live_source_setting_is_in_the_table():
    text = DOC.read_text()
    names = {n for n in ENV_VARS if n.startswith(PREFIXES) or n in OTHERS}
    assert names >= OTHERS
    missing = [n for n in sorted(names) if f"| `{n}` |" not in text]
    assert missing == []
