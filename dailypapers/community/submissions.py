"""Featuring a paper on a day: the rules a member's submission must pass, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.accounts.models import is_suspended
from dailypapers.catalog.ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.sources.http import SourceError
from dailypapers.sources.items import Featuring

from . import pagecache
from .comments import CommentRefused, check_body, post_comment, shown_counts
from .fetch import get_or_fetch_paper
from .models import DailyEntry, hot_score


class SubmissionRefused(Exception):
    """The submission breaks a rule; the message tells the user which and why, ``code``
    names the rule (stable, for the API)."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def today() -> date:
    return timezone.localdate()


def has_confirmed_email(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return bool(EmailAddress.objects.filter(user_id=user.pk, verified=True).exists())


def submissions_today(user: User) -> int:
    return DailyEntry.objects.filter(
        submitted_by_id=user.pk, source=DailyEntry.Source.MEMBER, day=today()
    ).count()


def _paper(text: str) -> Paper:
    try:
        paper = get_or_fetch_paper(text)
    except InvalidArxivId as exc:
        message = str(exc)
        raise SubmissionRefused(
            message[:1].upper() + message[1:] + ".", "invalid_arxiv_id"
        ) from None
    except SourceError:
        raise SubmissionRefused(
            "arXiv could not be reached to look this paper up; please try again in a few minutes.",
            "arxiv_unreachable",
        ) from None
    if paper is None:
        raise SubmissionRefused("arXiv has no paper with this id.", "paper_not_found")
    return paper


def check_member_rules(user: User, paper: Paper) -> None:
    """Raise SubmissionRefused unless a member may feature this paper today."""
    if is_suspended(user):
        raise SubmissionRefused(
            "Your account is suspended, so you cannot submit papers.", "suspended"
        )
    if not has_confirmed_email(user):
        raise SubmissionRefused(
            "Please confirm your email address first: follow the link in the email we sent you.",
            "email_unconfirmed",
        )
    window = settings.SUBMIT_WINDOW_DAYS
    if window > 0 and paper.submitted is not None:
        age = timezone.now() - paper.submitted
        if age > timedelta(days=window):
            raise SubmissionRefused(
                f"Only papers whose first version appeared in the last {window:,} days can be "
                f"submitted; {paper.arxiv_id} first appeared on "
                f"{paper.submitted.day} {paper.submitted:%b %Y}, {age.days:,} days ago.",
                "too_old",
            )
    cap = settings.SUBMIT_DAILY_CAP
    if cap > 0 and submissions_today(user) >= cap:
        raise SubmissionRefused(
            f"You have already submitted {cap} paper{'s' if cap != 1 else ''} today, the most "
            "one member may submit in a day. Please come back tomorrow.",
            "daily_cap_reached",
        )


def feature(
    text: str,
    *,
    by: User | None,
    day: date | None = None,
    source: str = DailyEntry.Source.MEMBER,
    check_rules: bool = True,
) -> DailyEntry:
    """Feature the paper with this id (or URL) on ``day`` (today by default).

    A member's submission (``check_rules``) must pass the rules; an operator's skips them. A
    paper is featured once only, whoever asks."""
    paper = _paper(text)
    existing = DailyEntry.objects.filter(paper=paper).first()
    if existing is not None:
        raise SubmissionRefused(
            f"{paper.arxiv_id} was already featured on {existing.day:%A %d %B %Y}"
            + (" (and later unfeatured by a moderator)." if existing.hidden else "."),
            "already_featured",
        )
    if check_rules:
        assert by is not None
        check_member_rules(by, paper)
    now = timezone.now()
    day = day or today()
    at = now if day == today() else timezone.make_aware(datetime.combine(day, datetime.min.time()))
    try:
        with transaction.atomic():
            pagecache.bump()
            return DailyEntry.objects.create(
                paper=paper,
                day=day,
                submitted_by=by,
                submitted_at=at,
                source=source,
                hot=hot_score(0, at),
                comment_count=shown_counts([paper.pk]).get(paper.pk, 0),
            )
    except IntegrityError:
        raise SubmissionRefused(
            f"{paper.arxiv_id} was just featured by someone else.", "already_featured"
        ) from None


def submit(text: str, *, by: User, comment: str = "") -> DailyEntry:
    """A member's submission: the paper featured today by the rules, with ``comment`` (if
    any) as its first comment, both or neither. A comment that could not be posted refuses
    the submission (SubmissionRefused with the comment's reason)."""
    body = comment.strip()
    try:
        if body:
            body = check_body(body)
        with transaction.atomic():
            entry = feature(text, by=by)
            if body:
                post_comment(by, entry.paper, body)
                entry.refresh_from_db(fields=["comment_count"])
    except CommentRefused as exc:
        raise SubmissionRefused(str(exc), exc.code) from None
    return entry


def record_featurings(featurings: Sequence[Featuring]) -> int:
    """Record papers another site featured (Hugging Face's daily list) as featured here, each
    on its day with who featured it there; a paper featured before keeps its first entry, so
    reading the same list again adds nothing. The one writer of such entries: visitors' cached
    pages are renewed when any is added. Returns how many were added."""
    wanted = {normalize_arxiv_id(f.arxiv_id): f for f in featurings}
    papers = dict(Paper.objects.filter(arxiv_id__in=list(wanted)).values_list("arxiv_id", "id"))
    rows = [
        DailyEntry(
            paper_id=papers[arxiv_id],
            day=f.day,
            submitted_by_name=f.by[:150],
            submitted_at=f.at,
            source=DailyEntry.Source.HUGGINGFACE,
            hot=hot_score(0, f.at),
        )
        for arxiv_id, f in wanted.items()
        if arxiv_id in papers
    ]
    known = set(
        DailyEntry.objects.filter(paper_id__in=[r.paper_id for r in rows]).values_list(
            "paper_id", flat=True
        )
    )
    rows = [r for r in rows if r.paper_id not in known]
    if rows:
        discussed = shown_counts([r.paper_id for r in rows])
        for row in rows:
            row.comment_count = discussed.get(row.paper_id, 0)
        DailyEntry.objects.bulk_create(rows, ignore_conflicts=True)
        pagecache.bump()
    return len(rows)
