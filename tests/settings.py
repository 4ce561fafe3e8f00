"""Settings for the test suite: the product's settings, with a data folder of its own."""

import os
import tempfile

os.environ.setdefault("DAILYPAPERS_DATA_DIR", tempfile.mkdtemp(prefix="dailypapers-test-"))

from dailypapers.settings import *  # noqa: F403
from dailypapers.settings import STATIC_ROOT, STORAGES

# No collectstatic in tests: serve static files straight from the apps.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Pages are rendered afresh in tests (tests/community/test_page_cache.py turns the cache on).
PAGE_CACHE_SECONDS = 0
# Each test's embedder computes its own query vectors (tests/search/test_query_vectors.py
# turns the shared cache of them on).
QUERY_VECTOR_SECONDS = 0
# No test follows Hugging Face unless it says so (pointing it at a loopback server).
FOLLOW_HF = False
