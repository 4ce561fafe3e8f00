"""A small cast of users and tiny factories for the community tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import Permission, User
from django.utils import timezone

from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_paper
from dailypapers.community.models import DailyEntry, hot_score

_counter = iter(range(20_000, 99_999))


def make_user(username: str, *, confirmed: bool = True, moderator: bool = False) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(username, f"{username}@example.org", "a-long-password-1")
    EmailAddress.objects.create(user=user, email=user.email, verified=confirmed, primary=True)
    if moderator:
        user.user_permissions.add(Permission.objects.get(codename="moderate"))
    return user


def make_paper(**overrides: Any) -> Paper:
    number = next(_counter)
    values: dict[str, Any] = {
        "arxiv_id": f"2511.{number:05d}",
        "version": 1,
        "title": f"Attention is most of what you need, part {number}",
        "abstract": "We study $x^2$ and things. We find results.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "stat.ML"],
        "submitted": timezone.now() - timedelta(days=2),
    }
    values.update(overrides)
    upsert_paper(PaperRecord(**values), source="test")
    return Paper.objects.get(arxiv_id=values["arxiv_id"])


def make_entry(
    paper: Paper | None = None,
    *,
    day: date | None = None,
    by: User | None = None,
    upvotes: int = 0,
    at: datetime | None = None,
    **paper_fields: Any,
) -> DailyEntry:
    paper = paper or make_paper(**paper_fields)
    day = day or timezone.localdate()
    at = at or timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=9)
    return DailyEntry.objects.create(
        paper=paper,
        day=day,
        submitted_by=by,
        submitted_at=at,
        upvotes=upvotes,
        hot=hot_score(upvotes, at),
    )
