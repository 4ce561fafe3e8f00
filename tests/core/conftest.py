from __future__ import annotations

# The same cast of users and fresh cache as the community tests.
from tests.community.conftest import _fresh_cache, cast  # noqa: F401
