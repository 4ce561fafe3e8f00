"""Jobs that fail are recorded as failed, and a machine without network says so once.

Tried: a fresh installation whose every source is unreachable (nothing listens where arXiv's
API, its feeds and Hugging Face should be, each on a host of its own), started as `serve`
starts it: the scheduler enqueues the first fill and the refresh, and the job worker runs
both, with the client's usual retries."""

from __future__ import annotations

import json
import re
import socket

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

JOB_RESULTS = """
from django.conf import settings
if "django_tasks_rq" in settings.TASKS["default"]["BACKEND"]:
    import django_rq
    queue = django_rq.get_queue("default")
    print("failed", queue.failed_job_registry.count, "finished",
          queue.finished_job_registry.count)
else:
    from django_tasks_db.models import DBTaskResult
    rows = DBTaskResult.objects.all()
    print("failed", rows.filter(status="FAILED").count(), "finished",
          rows.filter(status="SUCCESSFUL").count())
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def offline_env(cli_env):
    # A host of its own for each source, as on a machine without network (export.arxiv.org,
    # rss.arxiv.org, huggingface.co): still said once.
    port = _closed_port()
    env = {
        **cli_env,
        "DAILYPAPERS_ARXIV_API_URL": f"http://127.0.0.2:{port}/api/query",
        "DAILYPAPERS_ARXIV_FEED_URL": f"http://127.0.0.3:{port}/atom",
        "DAILYPAPERS_HF_URL": f"http://127.0.0.4:{port}",
        "DAILYPAPERS_FOLLOW_HF": "1",
        "DAILYPAPERS_FIRST_FILL_DAYS": "7",
        "DAILYPAPERS_HTTP_MIN_INTERVAL": "0",
        "DAILYPAPERS_HTTP_BACKOFF": "0.01",
        "DAILYPAPERS_HTTP_RETRIES": "4",
        "DAILYPAPERS_SEARCH_WARM_UP": "0",
    }
    if "REDIS_URL" in env:  # a queue of its own, so no other test's jobs are in it
        import redis

        env["REDIS_URL"] = re.sub(r"/\d+$", "/14", env["REDIS_URL"])
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return env


def test_an_offline_start_fails_its_jobs_and_says_offline_once(offline_env):
    enqueued = run_cli(offline_env, "scheduler", "--once")
    assert enqueued.returncode == 0, enqueued.stderr
    assert "refresh-sources" in enqueued.stdout

    worked = run_cli(offline_env, "worker", "--batch", "-v1")
    assert worked.returncode == 0, worked.stderr
    log = worked.stdout + worked.stderr
    loud = [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)]
    assert len(loud) == 1, log
    assert "first fill: no network" in loud[0], log
    assert "Traceback" not in log, log

    # The job backend records both jobs as failed (the digests' round, which needs no
    # network, finished)...
    results = run_cli(offline_env, "manage", "shell", "-c", JOB_RESULTS)
    assert results.stdout.splitlines()[-1] == "failed 2 finished 1", results
    # ...and so does `dailypapers status`, with the reason.
    status = run_cli(offline_env, "status", "--json")
    jobs = json.loads(status.stdout)["background_jobs"]
    assert {name: job["outcome"] for name, job in jobs.items()} == {
        "first-fill": "failed",
        "refresh-sources": "failed",
        "digests": "succeeded",
    }
    assert "3 of 4 steps failed" in jobs["refresh-sources"]["error"]
    assert "could not reach 127.0.0.2" in jobs["first-fill"]["error"]
    text = run_cli(offline_env, "status").stdout
    assert re.search(r"refresh-sources\s+failed .* UTC: refresh: 3 of 4 steps failed", text), text

    # The next start tries the failed first fill again (once, however many processes start).
    again = run_cli(offline_env, "scheduler", "--once")
    assert "filling it with the last 7 days" in again.stderr, again
    third = run_cli(offline_env, "scheduler", "--once")
    assert "filling it" not in third.stderr, third
