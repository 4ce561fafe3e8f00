"""The product's settings, for bench/web_speed.py, with one more page: a trivial view, the
baseline the real pages are measured against (served by the same server, middleware and
all)."""

from dailypapers.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
