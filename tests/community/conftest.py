from __future__ import annotations

from types import SimpleNamespace

import pytest

from .helpers import make_user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: start each test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db):
    """owner (submits, comments), member (another confirmed user), stranger (signed up, email
    not confirmed), moderator."""
    return SimpleNamespace(
        owner=make_user("owner"),
        member=make_user("member"),
        stranger=make_user("stranger", confirmed=False),
        moderator=make_user("moderator", moderator=True),
    )
