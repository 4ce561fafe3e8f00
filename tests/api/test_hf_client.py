"""The Hugging Face-compatible endpoints, driven by the real client: ``huggingface_hub``'s
``HfApi(endpoint=...)`` and the ``hf papers`` CLI against a live server with a seeded
catalogue and community."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from dailypapers.community.comments import post_comment
from dailypapers.community.models import DailyEntry
from dailypapers.community.moderation import set_comment_hidden, set_entry_hidden
from tests.community.helpers import make_entry, make_paper, make_user

pytestmark = pytest.mark.django_db(transaction=True)

HF = shutil.which("hf", path=str(Path(sys.executable).parent)) or "hf"


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


W44_WED, W44_THU, W45_MON, W43_MON = (
    date(2025, 10, 29),
    date(2025, 10, 30),
    date(2025, 11, 3),
    date(2025, 10, 20),
)


@pytest.fixture
def world(live_server: Any, search_settings: Any, fresh_cache: None) -> SimpleNamespace:
    """Users, featured papers over three weeks, comments (one hidden), an unfeatured entry,
    an old-style paper that was never featured; all indexed for search."""
    from dailypapers.search import keeper

    search_settings.RATE_API = "100000/m"
    search_settings.FETCH_MISSING_PAPERS = False
    alice = make_user("alice")
    alice.first_name, alice.last_name = "Alice", "Liddell"
    alice.save()
    bob = make_user("bob")
    moderator = make_user("mod", moderator=True)

    def entry(day: date, hour: int, by: Any, upvotes: int, **paper: Any) -> DailyEntry:
        return make_entry(day=day, at=at(day, hour), by=by, upvotes=upvotes, **paper)

    star = entry(
        W44_WED,
        9,
        alice,
        5,
        title="Quantum error correction with surface codes",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        submitted=datetime(2025, 10, 27, tzinfo=UTC),
        repo_url="https://github.com/example/surface",
        project_page="https://example.org/surface",
    )
    top = entry(W44_WED, 10, bob, 9, title="Diffusion models for image synthesis")
    thursday = entry(W44_THU, 8, alice, 1, title="Graph neural networks for molecules")
    from_hf = make_entry(
        day=W45_MON,
        at=at(W45_MON, 7),
        upvotes=2,
        title="Reinforcement learning for robot manipulation",
    )
    DailyEntry.objects.filter(pk=from_hf.pk).update(
        submitted_by_name="akhaliq", source=DailyEntry.Source.HUGGINGFACE
    )
    older = entry(W43_MON, 9, bob, 0, title="Dark matter halos in galaxy clusters")
    unfeatured = entry(W44_WED, 11, bob, 100, title="An unfeatured paper on spam")
    set_entry_hidden(moderator, unfeatured, True, "spam")
    question = post_comment(bob, star.paper, "Nice **result**; does it scale?")
    reply = post_comment(alice, star.paper, "It does, see section 4.", parent=question)
    hidden = post_comment(bob, star.paper, "A rude remark")
    set_comment_hidden(moderator, hidden, True, "rude")
    old_style = make_paper(
        arxiv_id="hep-th/9901001",
        title="Strings and branes revisited",
        submitted=datetime(1999, 1, 4, tzinfo=UTC),
    )
    keeper.index_pending()
    for e in (star, top, thursday, from_hf, older):
        e.refresh_from_db()
    return SimpleNamespace(
        url=live_server.url,
        api=HfApi(endpoint=live_server.url, token=False),
        alice=alice,
        bob=bob,
        star=star,
        top=top,
        thursday=thursday,
        from_hf=from_hf,
        older=older,
        unfeatured=unfeatured,
        reply=reply,
        old_style=old_style,
    )


def ids(papers: Any) -> list[str]:
    return [p.id for p in papers]


def test_a_day_by_votes_with_every_field_filled(world):
    papers = list(world.api.list_daily_papers(date="2025-10-29"))
    assert ids(papers) == [world.top.paper.arxiv_id, world.star.paper.arxiv_id]  # unfeatured out
    info = papers[1]
    star = world.star
    assert info.title == star.paper.title
    assert info.summary == star.paper.abstract
    assert [a.name for a in info.authors] == star.paper.author_names
    assert all(a.hidden is False for a in info.authors)
    assert info.upvotes == star.upvotes == 5
    assert info.comments == star.comment_count == 2  # the hidden one is not counted
    assert info.github_repo == "https://github.com/example/surface"
    assert info.project_page == "https://example.org/surface"
    assert info.published_at == star.paper.submitted == datetime(2025, 10, 27, tzinfo=UTC)
    assert info.submitted_at == star.submitted_at == at(W44_WED, 9)
    assert info.submitted_by.username == "alice"
    assert info.submitted_by.fullname == "Alice Liddell"
    assert info.submitted_by.user_type == "user"
    assert info.discussion_id == f"{star.paper.pk:024x}"
    assert info.github_stars is None and info.ai_summary is None  # not held: not made up


def test_a_day_with_no_votes_keeps_zero(world):
    (info,) = world.api.list_daily_papers(date="2025-10-20")
    assert info.id == world.older.paper.arxiv_id
    assert info.upvotes == 0 and info.comments == 0


def test_week_month_and_submitter_filters(world):
    week = list(world.api.list_daily_papers(week="2025-W44"))
    assert ids(week) == [
        world.top.paper.arxiv_id,
        world.star.paper.arxiv_id,
        world.thursday.paper.arxiv_id,
    ]
    assert all(date(2025, 10, 27) <= p.submitted_at.date() <= date(2025, 11, 2) for p in week)
    october = list(world.api.list_daily_papers(month="2025-10"))
    assert len(october) == 4 and world.from_hf.paper.arxiv_id not in ids(october)
    november = list(world.api.list_daily_papers(month="2025-11"))
    assert ids(november) == [world.from_hf.paper.arxiv_id]
    assert list(world.api.list_daily_papers(month="2024-01")) == []
    by_alice = list(world.api.list_daily_papers(submitter="alice"))
    assert ids(by_alice) == [world.thursday.paper.arxiv_id, world.star.paper.arxiv_id]
    (hf_item,) = world.api.list_daily_papers(submitter="akhaliq")
    assert hf_item.submitted_by.username == "akhaliq"
    assert hf_item.submitted_by.fullname == ""  # HF's list names the user only
    assert list(world.api.list_daily_papers(submitter="nobody")) == []
    both = list(world.api.list_daily_papers(week="2025-W44", submitter="bob"))
    assert ids(both) == [world.top.paper.arxiv_id]


def test_sorts_and_paging(world):
    newest = list(world.api.list_daily_papers())
    assert ids(newest) == [
        world.from_hf.paper.arxiv_id,
        world.thursday.paper.arxiv_id,
        world.top.paper.arxiv_id,
        world.star.paper.arxiv_id,
        world.older.paper.arxiv_id,
    ]
    assert ids(world.api.list_daily_papers(sort="publishedAt")) == ids(newest)
    trending = list(world.api.list_daily_papers(sort="trending"))
    hot = DailyEntry.objects.visible().order_by("-hot", "-id")
    assert ids(trending) == [e.paper.arxiv_id for e in hot.select_related("paper")]
    in_week = list(world.api.list_daily_papers(sort="trending", week="2025-W44"))
    assert sorted(ids(in_week)) == sorted(ids(world.api.list_daily_papers(week="2025-W44")))
    pages = [ids(world.api.list_daily_papers(limit=2, p=p)) for p in range(4)]
    assert pages[0] + pages[1] + pages[2] == ids(newest)
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert list(world.api.list_daily_papers(date="2025-10-29", p=100)) == []
    assert len(list(world.api.list_daily_papers(limit=1))) == 1


def test_link_header_names_the_next_page(world):
    import httpx

    first = httpx.get(f"{world.url}/api/daily_papers", params={"limit": 2, "sort": "trending"})
    assert first.status_code == 200
    link = first.links["next"]["url"]
    assert "p=1" in link and "limit=2" in link and "sort=trending" in link
    second = httpx.get(link)
    assert len(second.json()) == 2 and "next" in second.links
    last = httpx.get(f"{world.url}/api/daily_papers", params={"limit": 2, "p": 2})
    assert len(last.json()) == 1 and "link" not in last.headers


def test_bad_parameters_are_400s_the_client_reports(world):
    for bad in ({"date": "2025-13-40"}, {"date": "2999-01-01"}, {"week": "2025-W60"}):
        with pytest.raises(BadRequestError) as caught:
            list(world.api.list_daily_papers(**bad))
        assert "Invalid" in str(caught.value)
    with pytest.raises(BadRequestError, match="limit"):
        list(world.api.list_daily_papers(limit=101))
    with pytest.raises(BadRequestError, match="sort"):
        list(world.api.list_daily_papers(sort="upvotes"))  # type: ignore[arg-type]


def test_paper_info_is_flat_and_complete(world):
    star = world.star
    for asked in (star.paper.arxiv_id, f"{star.paper.arxiv_id}v1"):
        info = world.api.paper_info(asked)
        assert info.id == star.paper.arxiv_id
        assert info.title == star.paper.title and info.summary == star.paper.abstract
        assert [a.name for a in info.authors] == star.paper.author_names
        assert info.upvotes == 5 and info.comments == 2
        assert info.published_at == star.paper.submitted
        assert info.submitted_at == star.submitted_at
        assert info.submitted_by.username == "alice"
        assert info.github_repo == star.paper.repo_url
        assert info.project_page == star.paper.project_page
    old = world.api.paper_info("hep-th/9901001")
    assert old.title == "Strings and branes revisited"
    assert old.submitted_at is None and old.submitted_by is None and old.upvotes == 0
    hidden = world.api.paper_info(world.unfeatured.paper.arxiv_id)
    assert hidden.submitted_at is None and hidden.submitted_by is None  # unfeatured: not shown
    with pytest.raises(HfHubHTTPError) as caught:
        world.api.paper_info("1234.56789")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json() == {"error": "Paper not found"}


def test_search_items_carry_the_community(world):
    found = list(world.api.list_papers(query="quantum error correction surface codes", limit=3))
    assert found and found[0].id == world.star.paper.arxiv_id
    info = found[0]
    assert info.title == world.star.paper.title
    assert info.upvotes == 5 and info.comments == 2
    assert info.submitted_by.username == "alice"
    assert info.submitted_at == world.star.submitted_at
    assert info.published_at == world.star.paper.submitted
    assert info.github_repo and info.project_page
    strings = list(world.api.list_papers(query="strings branes"))
    assert strings[0].id == "hep-th/9901001"
    assert strings[0].submitted_at is None and strings[0].comments == 0
    assert len(list(world.api.list_papers(query="models", limit=1))) == 1


def test_read_paper_as_markdown(world):
    import httpx

    text = world.api.read_paper(world.star.paper.arxiv_id)
    assert text.startswith(f"# {world.star.paper.title}\n")
    assert "Ada Lovelace, Alan Turing, Grace Hopper" in text
    assert "https://arxiv.org/abs/" + world.star.paper.arxiv_id in text
    assert "https://github.com/example/surface" in text
    assert "**Published:** 2025-10-27" in text
    assert "**Featured:** 2025-10-29 by alice · 5 upvotes" in text
    assert world.star.paper.abstract in text
    assert "Nice **result**; does it scale?" in text and "It does, see section 4." in text
    assert "A rude remark" not in text
    assert "## Discussion (2 comments)" in text
    page = httpx.get(
        f"{world.url}/papers/{world.star.paper.arxiv_id}", headers={"Accept": "text/markdown"}
    )
    assert page.headers["content-type"].startswith("text/markdown")
    assert page.text == text
    html = httpx.get(f"{world.url}/papers/{world.star.paper.arxiv_id}")
    assert html.headers["content-type"].startswith("text/html")
    assert "Accept" in html.headers["vary"]
    assert world.api.read_paper("hep-th/9901001v2").startswith("# Strings and branes")
    with pytest.raises(HfHubHTTPError) as caught:
        world.api.read_paper("1234.56789")
    assert caught.value.response.status_code == 404


def test_all_papers_with_a_cursor(world):
    import httpx

    seen: list[str] = []
    url: str | None = f"{world.url}/api/papers?limit=2"
    while url:
        answer = httpx.get(url)
        assert answer.status_code == 200
        seen += [p["id"] for p in answer.json()]
        url = answer.links.get("next", {}).get("url")
        if len(seen) == 2:  # a paper added meanwhile does not shift the pages
            make_paper(arxiv_id="2512.00001", submitted=datetime.now(UTC))
    from dailypapers.catalog.models import Paper

    expected = list(
        Paper.objects.exclude(arxiv_id="2512.00001")
        .order_by("-submitted", "-id")
        .values_list("arxiv_id", flat=True)
    )
    assert seen == expected and seen[-1] == "hep-th/9901001"
    first = httpx.get(f"{world.url}/api/papers", params={"limit": 1}).json()[0]
    assert first["id"] == "2512.00001"
    assert set(first) >= {"id", "title", "summary", "authors", "publishedAt", "upvotes"}
    bad = httpx.get(f"{world.url}/api/papers", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("Invalid cursor")


HOSTILE = [
    ("/api/daily_papers", {"p": "x"}),
    ("/api/daily_papers", {"p": "-1"}),
    ("/api/daily_papers", {"p": "99999999999999999999999"}),
    ("/api/daily_papers", {"limit": "0"}),
    ("/api/daily_papers", {"limit": "101"}),
    ("/api/daily_papers", {"limit": "1e3"}),
    ("/api/daily_papers", {"date": "2025-10-29\x00"}),
    ("/api/daily_papers", {"date": "x" * 5000}),
    ("/api/daily_papers", {"date": "0000-01-01"}),
    ("/api/daily_papers", {"week": "2025-W00"}),
    ("/api/daily_papers", {"week": "0000-W01"}),
    ("/api/daily_papers", {"month": "2025-13"}),
    ("/api/daily_papers", {"month": "0000-01"}),
    ("/api/daily_papers", {"submitter": "bob\x00"}),
    ("/api/daily_papers", {"submitter": "<script>alert(1)</script>"}),
    ("/api/daily_papers", {"submitter": "a" * 151}),
    ("/api/daily_papers", {"sort": "upvotes"}),
    ("/api/papers", {"limit": "0"}),
    ("/api/papers", {"limit": "101"}),
    ("/api/papers", {"cursor": "\x00"}),
    ("/api/papers", {"cursor": "x" * 201}),
    ("/api/papers", {"cursor": "dHh8eA"}),  # "tx|x"
    ("/api/papers", {"cursor": "bnx4"}),  # "n|x"
    ("/api/papers/search", {"q": "x" * 251}),
    ("/api/papers/search", {"limit": "121"}),
]


def test_bad_input_is_a_4xx_json_never_a_500(world):
    import httpx

    for path, params in HOSTILE:
        answer = httpx.get(world.url + path, params=params)
        assert 400 <= answer.status_code < 500, (path, params, answer.status_code)
        assert answer.json()["error"], (path, params)
        assert answer.headers["x-error-message"]
    for bad_id in (
        "1234.56789",
        "not-an-id",
        "%3Cscript%3E",
        "x" * 3000,
        "2501.01234v0",
        "hep-th/9901001/extra",
        "2501.01234%0A",
        "%E2%80%AE2501.01234",
    ):
        answer = httpx.get(f"{world.url}/api/papers/{bad_id}")
        assert answer.status_code == 404, bad_id
        assert answer.headers["content-type"] == "application/json; charset=utf-8", bad_id
        assert answer.json() == {"error": "Paper not found"}
        markdown = httpx.get(f"{world.url}/papers/{bad_id}.md")
        assert markdown.status_code == 404, bad_id
    traversal = httpx.get(f"{world.url}/api/papers/..%2F..%2Fetc%2Fpasswd")
    assert traversal.status_code == 404 and traversal.json() == {"error": "Paper not found"}
    nul = httpx.get(f"{world.url}/api/papers/2501.%0001234")
    assert nul.status_code == 400  # the site's boundary refuses a NUL in any path
    for query in ("\x00", "$\\frac{1}{0}$ \\input{/etc/passwd}", "<img src=x onerror=1>"):
        answer = httpx.get(f"{world.url}/api/papers/search", params={"q": query})
        assert answer.status_code == 200 and isinstance(answer.json(), list)


def hf_cli(world: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "HF_HUB_OFFLINE"}
    env.update(
        HF_ENDPOINT=world.url,
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HOME=str(tmp_path / "hf-home"),
        NO_COLOR="1",
    )
    return subprocess.run(
        [HF, "papers", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_hf_papers_cli(world, tmp_path):
    listed = hf_cli(world, tmp_path, "ls", "--date", "2025-10-29", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [world.top.paper.arxiv_id, world.star.paper.arxiv_id]
    star = rows[1]
    assert star["title"] == world.star.paper.title
    assert star["upvotes"] == 5 and star["comments"] == 2
    assert star["submitted_by_name"] == "Alice Liddell"
    assert star["published_at"].startswith("2025-10-27")
    for args in (
        ("--week", "2025-W44"),
        ("--month", "2025-11"),
        ("--submitter", "akhaliq"),
        ("--sort", "trending"),
        ("--limit", "1"),
    ):
        answer = hf_cli(world, tmp_path, "ls", *args, "--format", "json")
        assert answer.returncode == 0 and json.loads(answer.stdout), (args, answer.stderr)
    (hf_row,) = json.loads(hf_cli(world, tmp_path, "ls", "--submitter", "akhaliq", "--json").stdout)
    assert hf_row["submitted_by_name"] == "akhaliq"

    found = hf_cli(world, tmp_path, "search", "strings branes", "--format", "json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["id"] == "hep-th/9901001"

    info = hf_cli(world, tmp_path, "info", world.star.paper.arxiv_id, "--format", "json")
    assert info.returncode == 0, info.stderr
    details = json.loads(info.stdout)
    assert details["title"] == world.star.paper.title
    assert details["github_repo"] == "https://github.com/example/surface"
    assert details["submitted_by"]["username"] == "alice"
    missing = hf_cli(world, tmp_path, "info", "1234.56789")
    assert missing.returncode != 0
    assert "Paper '1234.56789' not found on the Hub." in missing.stdout + missing.stderr

    read = hf_cli(world, tmp_path, "read", world.star.paper.arxiv_id, "--format", "agent")
    assert read.returncode == 0, read.stderr
    assert read.stdout.startswith(f"# {world.star.paper.title}")
    assert "It does, see section 4." in read.stdout
