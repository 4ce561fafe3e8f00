"""A paper's code and project-page links: what the page shows, and who may set them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from dailypapers.accounts.models import is_moderator
from dailypapers.catalog.models import Paper

from . import pagecache
from .models import DailyEntry, PaperLinks


@dataclass(frozen=True)
class ShownLinks:
    code_url: str
    project_url: str
    set_by: str = ""
    """The username of who set them by hand ("" when they come from the sources)."""
    set_at: datetime | None = None
    github_stars: int | None = None
    """The repository's stars on GitHub as a source gave them, when the code link shown is
    that repository."""


def shown_links(paper: Paper) -> ShownLinks:
    """The links set by hand where there are any, each falling back on the sources' one."""
    found = PaperLinks.objects.filter(paper=paper).select_related("set_by").first()
    code_url = (found.code_url if found else "") or paper.code_url
    stars = paper.github_stars if paper.repo_url and _same(code_url, paper.repo_url) else None
    if found is None:
        return ShownLinks(code_url, paper.project_page, github_stars=stars)
    return ShownLinks(
        code_url,
        found.project_url or paper.project_page,
        found.set_by.get_username() if found.set_by else "",
        found.set_at,
        stars,
    )


def _same(one: str, other: str) -> bool:
    def key(url: str) -> str:
        return url.lower().split("://", 1)[-1].removeprefix("www.").removesuffix(".git").rstrip("/")

    return key(one) == key(other)


def can_set_links(user: User | AnonymousUser, paper: Paper) -> bool:
    """The member who submitted the paper, or a moderator."""
    if not user.is_authenticated:
        return False
    return may_set_links(user, DailyEntry.objects.filter(paper=paper).first(), is_moderator(user))


def may_set_links(user: User | AnonymousUser, entry: DailyEntry | None, moderator: bool) -> bool:
    """``can_set_links`` with the paper's entry and the user's moderator right at hand."""
    if not user.is_authenticated:
        return False
    return moderator or (entry is not None and entry.submitted_by_id == user.pk)


def set_links(user: User, paper: Paper, code_url: str, project_url: str) -> PaperLinks:
    with transaction.atomic():
        links, _ = PaperLinks.objects.update_or_create(
            paper=paper,
            defaults={
                "code_url": code_url,
                "project_url": project_url,
                "set_by": user,
                "set_at": timezone.now(),
            },
        )
        pagecache.bump()
    return links
