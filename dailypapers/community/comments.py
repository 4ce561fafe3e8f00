"""Comments: post, reply, edit and delete your own; the count on the entry follows. An edit
keeps the text it replaces as a CommentRevision, shown to the author and to moderators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from dailypapers.accounts.models import is_suspended
from dailypapers.catalog.models import Paper

from . import pagecache
from .markup import render_markdown
from .models import Comment, CommentRevision, DailyEntry


class CommentRefused(Exception):
    """Why a comment was not taken, in words for the reader; ``code`` names the reason
    (stable, for the API)."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def check_body(body: str) -> str:
    """The comment text, stripped; CommentRefused where it is empty, holds a NUL or is too
    long."""
    body = body.strip()
    if not body:
        raise CommentRefused("A comment cannot be empty.", "comment_empty")
    if "\x00" in body:
        raise CommentRefused("A comment cannot hold a NUL character.", "comment_nul")
    limit = settings.COMMENT_MAX_LENGTH
    if len(body) > limit:
        raise CommentRefused(
            f"A comment can be at most {limit:,} characters long.", "comment_too_long"
        )
    return body


def _count(paper_id: int, delta: int) -> None:
    if delta:
        DailyEntry.objects.filter(paper_id=paper_id).update(comment_count=counted(delta))


def counted(delta: int) -> Greatest:
    """An entry's comment count moved by ``delta``, never below 0."""
    return Greatest(F("comment_count") + delta, Value(0))


def shown_counts(paper_ids: Sequence[int]) -> dict[int, int]:
    """How many comments readers see on each of these papers, in one query (a paper is
    discussed before it is featured: its entry starts with that count)."""
    rows = (
        Comment.objects.shown()
        .filter(paper_id__in=list(paper_ids))
        .values("paper_id")
        .annotate(n=Count("id"))
        .values_list("paper_id", "n")
    )
    return {int(paper): int(n) for paper, n in rows}


def post_comment(user: User, paper: Paper, body: str, parent: Comment | None = None) -> Comment:
    if is_suspended(user):
        raise CommentRefused("Your account is suspended, so you cannot comment.", "suspended")
    body = check_body(body)
    if parent is not None and (parent.paper_id != paper.pk or not parent.shown):
        raise CommentRefused("That comment cannot be replied to.", "cannot_reply")
    with transaction.atomic():
        comment = Comment.objects.create(
            paper=paper, author=user, parent=parent, body=body, body_html=render_markdown(body)
        )
        _count(paper.pk, 1)
        pagecache.bump()
    return comment


def can_edit(user: User, comment: Comment) -> bool:
    return bool(user.is_authenticated and comment.author_id == user.pk and comment.shown)


def edit_comment(user: User, comment: Comment, body: str) -> Comment:
    """Replace the comment's text; the text it had is kept as its latest revision. Saving the
    same text again changes nothing."""
    if not can_edit(user, comment) or is_suspended(user):
        raise CommentRefused("You can only edit your own comments.", "not_your_comment")
    body = check_body(body)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if not can_edit(user, locked):
            raise CommentRefused("You can only edit your own comments.", "not_your_comment")
        if body != locked.body:
            now = timezone.now()
            CommentRevision.objects.create(
                comment=locked,
                number=locked.revisions.count() + 1,
                body=locked.body,
                body_html=locked.body_html,
                written_at=locked.edited_at or locked.created_at,
                replaced_at=now,
            )
            locked.body, locked.body_html, locked.edited_at = body, render_markdown(body), now
            locked.save(update_fields=["body", "body_html", "edited_at"])
            pagecache.bump()
    comment.body, comment.body_html, comment.edited_at = (
        locked.body,
        locked.body_html,
        locked.edited_at,
    )
    return comment


def delete_comment(user: User, comment: Comment) -> None:
    """The author takes the comment down; its text is kept, and replies stay in place."""
    if not can_edit(user, comment):
        raise CommentRefused("You can only delete your own comments.", "not_your_comment")
    with transaction.atomic():
        # as it stands now: a moderator may have hidden it (and counted it out) meanwhile
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        comment.deleted_at = locked.deleted_at or timezone.now()
        comment.hidden = locked.hidden
        if locked.deleted_at is not None:
            return
        comment.save(update_fields=["deleted_at"])
        _count(comment.paper_id, 0 if locked.hidden else -1)
        pagecache.bump()


@dataclass
class Node:
    comment: Comment
    children: list[Node] = field(default_factory=list)
    revisions: list[CommentRevision] = field(default_factory=list)  # for those who may see them


def thread(paper: Paper, *, everything: bool = False, reader_id: int | None = None) -> list[Node]:
    """The paper's discussion as a tree, in one query. Hidden or deleted comments stay as
    placeholders when they have replies, so a thread keeps its shape; ``everything`` (for
    moderators) keeps them all. Earlier versions of edited comments come along (one more
    query) for moderators, and for ``reader_id``'s own comments."""
    comments = list(
        Comment.objects.filter(paper=paper).select_related("author").order_by("created_at", "id")
    )
    nodes = {c.pk: Node(c) for c in comments}
    roots: list[Node] = []
    for c in comments:
        node = nodes[c.pk]
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.children if parent else roots).append(node)
    if any(c.edited_at and (everything or c.author_id == reader_id) for c in comments):
        revisions = CommentRevision.objects.filter(comment__paper=paper)
        if not everything:
            revisions = revisions.filter(comment__author_id=reader_id)
        for revision in revisions.order_by("comment_id", "number"):
            nodes[revision.comment_id].revisions.append(revision)

    def prune(items: list[Node]) -> list[Node]:
        kept = []
        for n in items:
            n.children = prune(n.children)
            if everything or n.comment.shown or n.children:
                kept.append(n)
        return kept

    return prune(roots)
