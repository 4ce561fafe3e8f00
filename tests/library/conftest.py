from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache: None) -> None:
    """Every library test starts with an empty cache."""
