"""`dailypapers serve --workers 4` answers a burst of traffic in its first seconds correctly.

The server applies migrations (and reads the database) before it forks its web processes;
a connection left open then is shared by every process it forks, which interleave their
queries on one socket. Tried, right after the server starts answering: 400 views of a
paper page and the home page, 40 log-ins and 40 votes, on 12 threads at once. Every answer
must be right: no 5xx, the paper's own title on its page, every log-in a session, every
vote counted exactly once."""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, run_cli, start_serve

pytestmark = pytest.mark.slow

VOTERS = 40
VIEWS = 400
TITLE = "Forked processes and the sockets they share"

SEED = f"""
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils import timezone
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_papers
from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry, hot_score

upsert_papers([PaperRecord(arxiv_id="2511.00001", version=1, title={TITLE!r},
    abstract="We count.", authors=["Ada Lovelace"], categories=["cs.LG"],
    submitted=timezone.now())], source="test")
paper = Paper.objects.get(arxiv_id="2511.00001")
now = timezone.now()
entry = DailyEntry.objects.create(paper=paper, day=timezone.localdate(), submitted_at=now,
    hot=hot_score(0, now))
hashed = make_password("a-long-password-1")
users = User.objects.bulk_create(
    [User(username=f"voter{{n}}", email=f"voter{{n}}@example.org", password=hashed)
     for n in range({VOTERS})])
EmailAddress.objects.bulk_create(
    [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users])
print("entry", entry.pk)
"""


def _csrf(client: httpx.Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, url
    return found.group(1)


def test_a_burst_right_after_start_is_answered_correctly(cli_env, tmp_path: Path):
    env = {
        **cli_env,
        "DAILYPAPERS_SEARCH_WARM_UP": "0",
        "DAILYPAPERS_FIRST_FILL_DAYS": "0",
        "DAILYPAPERS_RATE_LOGIN": "10000/m/ip",
        "DAILYPAPERS_RATE_LOGIN_FAILED": "10000/m/ip",
        "DAILYPAPERS_PAGE_CACHE_SECONDS": "0",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    seeded = run_cli(env, "manage", "shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    entry_id = int(seeded.stdout.split("entry", 1)[1].split()[0])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    proc = start_serve(env, log, "--port", str(port), "--workers", "4", "--no-jobs")
    try:

        def view(n: int) -> tuple[str, int, bool]:
            url = f"{base}/papers/2511.00001" if n % 2 else f"{base}/"
            response = httpx.get(url, timeout=30)
            return url, response.status_code, TITLE in response.text

        def log_in_and_vote(n: int) -> tuple[int, int, bool]:
            with httpx.Client(base_url=base, timeout=30) as client:
                token = _csrf(client, "/accounts/login/")
                login = client.post(
                    "/accounts/login/",
                    data={
                        "csrfmiddlewaretoken": token,
                        "login": f"voter{n}",
                        "password": "a-long-password-1",
                    },
                )
                signed_in = "sessionid" in client.cookies
                token = client.cookies.get("csrftoken", "")
                vote = client.post(
                    f"/vote/{entry_id}",
                    data={"csrfmiddlewaretoken": token, "direction": "up"},
                )
                return login.status_code, vote.status_code, signed_in

        with ThreadPoolExecutor(12) as pool:
            voting = [pool.submit(log_in_and_vote, n) for n in range(VOTERS)]
            views = list(pool.map(view, range(VIEWS)))
            votes = [f.result() for f in voting]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()

    wrong = [v for v in views if v[1] != 200 or not v[2]]
    assert not wrong, (len(wrong), wrong[:5], text[-3000:])
    assert all(v == (302, 302, True) for v in votes), (votes, text[-3000:])
    assert "Traceback" not in text, text[-3000:]
    assert "inherited open database connections" not in text, text[-3000:]
    counted = run_cli(
        env,
        "manage",
        "shell",
        "-c",
        "from dailypapers.community.models import DailyEntry, Vote;"
        f"e = DailyEntry.objects.get(pk={entry_id});"
        "print(e.upvotes, Vote.objects.filter(paper_id=e.paper_id).count())",
    )
    assert counted.stdout.splitlines()[-1].split() == [str(VOTERS), str(VOTERS)], counted
