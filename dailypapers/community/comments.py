"""Comments: post, reply, edit and delete your own; the count on the entry follows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dailypapers.accounts.models import is_suspended
from dailypapers.catalog.models import Paper

from . import pagecache
from .markup import render_markdown
from .models import Comment, DailyEntry


class CommentRefused(Exception):
    pass


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise CommentRefused("A comment cannot be empty.")
    limit = settings.COMMENT_MAX_LENGTH
    if len(body) > limit:
        raise CommentRefused(f"A comment can be at most {limit:,} characters long.")
    return body


def _count(paper_id: int, delta: int) -> None:
    if delta:
        DailyEntry.objects.filter(paper_id=paper_id).update(
            comment_count=F("comment_count") + delta
        )


def post_comment(user: User, paper: Paper, body: str, parent: Comment | None = None) -> Comment:
    if is_suspended(user):
        raise CommentRefused("Your account is suspended, so you cannot comment.")
    body = _check_body(body)
    if parent is not None and (parent.paper_id != paper.pk or not parent.shown):
        raise CommentRefused("That comment cannot be replied to.")
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
    if not can_edit(user, comment) or is_suspended(user):
        raise CommentRefused("You can only edit your own comments.")
    comment.body = _check_body(body)
    comment.body_html = render_markdown(comment.body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    pagecache.bump()
    return comment


def delete_comment(user: User, comment: Comment) -> None:
    """The author takes the comment down; its text is kept, and replies stay in place."""
    if not can_edit(user, comment):
        raise CommentRefused("You can only delete your own comments.")
    with transaction.atomic():
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["deleted_at"])
        _count(comment.paper_id, -1)
        pagecache.bump()


@dataclass
class Node:
    comment: Comment
    children: list[Node] = field(default_factory=list)


def thread(paper: Paper, *, everything: bool = False) -> list[Node]:
    """The paper's discussion as a tree, in one query. Hidden or deleted comments stay as
    placeholders when they have replies, so a thread keeps its shape; ``everything`` (for
    moderators) keeps them all."""
    comments = list(
        Comment.objects.filter(paper=paper).select_related("author").order_by("created_at", "id")
    )
    nodes = {c.pk: Node(c) for c in comments}
    roots: list[Node] = []
    for c in comments:
        node = nodes[c.pk]
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.children if parent else roots).append(node)

    def prune(items: list[Node]) -> list[Node]:
        kept = []
        for n in items:
            n.children = prune(n.children)
            if everything or n.comment.shown or n.children:
                kept.append(n)
        return kept

    return prune(roots)
