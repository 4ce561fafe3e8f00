"""Moderators hide comments, unfeature papers and suspend users; all audited, nothing lost."""

from __future__ import annotations

import pytest
from django.test import Client

from dailypapers.accounts.models import Profile
from dailypapers.community.comments import post_comment
from dailypapers.community.models import Comment, DailyEntry, ModerationAction

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def test_moderator_hides_and_shows_a_comment(client, cast):
    entry = make_entry()
    comment = post_comment(cast.owner, entry.paper, "Rude words")
    client.force_login(cast.moderator)
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert f'action="/moderate/comments/{comment.pk}"' in page
    client.post(f"/moderate/comments/{comment.pk}", {"action": "hide", "reason": "rude"})
    comment.refresh_from_db()
    assert comment.hidden and comment.body == "Rude words"
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 0
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "hidden by a moderator" in page  # the moderator still sees it, to undo
    assert "Rude words" not in Client().get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    action = ModerationAction.objects.get()
    assert (action.kind, action.moderator, action.comment, action.reason) == (
        "hide_comment",
        cast.moderator,
        comment,
        "rude",
    )
    client.post(f"/moderate/comments/{comment.pk}", {"action": "show"})
    assert "Rude words" in client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert ModerationAction.objects.count() == 2


def test_stranger_and_owner_cannot_hide_comment(client, cast):
    entry = make_entry()
    comment = post_comment(cast.owner, entry.paper, "Fine words")
    for user in (cast.stranger, cast.owner, cast.member):
        client.force_login(user)
        page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
        assert "/moderate/" not in page
        assert client.post(f"/moderate/comments/{comment.pk}").status_code == 403
    assert not Comment.objects.filter(hidden=True).exists()
    assert not ModerationAction.objects.exists()


def test_moderator_unfeatures_and_refeatures_a_paper(client, cast):
    entry = make_entry(by=cast.owner, title="Spam paper")
    client.force_login(cast.moderator)
    client.post(f"/moderate/entries/{entry.pk}", {"action": "unfeature", "reason": "spam"})
    assert DailyEntry.objects.get(pk=entry.pk).hidden
    assert "Spam paper" not in client.get("/").content.decode()
    assert (
        "unfeatured by a moderator"
        in client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    )
    client.post(f"/moderate/entries/{entry.pk}", {"action": "refeature"})
    assert "Spam paper" in client.get("/").content.decode()
    kinds = list(ModerationAction.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["unfeature", "refeature"]


def test_member_cannot_unfeature(client, cast):
    entry = make_entry()
    client.force_login(cast.member)
    assert client.post(f"/moderate/entries/{entry.pk}").status_code == 403
    assert not DailyEntry.objects.get(pk=entry.pk).hidden


def test_moderator_suspends_a_member_who_then_cannot_act(client, cast):
    entry = make_entry()
    client.force_login(cast.moderator)
    client.post("/moderate/users/owner", {"action": "suspend", "reason": "spam"})
    assert Profile.objects.get(user=cast.owner).suspended
    assert "suspended" in client.get("/u/owner").content.decode()
    client.force_login(cast.owner)
    assert client.post(f"/vote/{entry.pk}").status_code == 403
    client.post(f"/comments/on/{entry.paper.pk}", {"body": "still here"})
    assert not Comment.objects.exists()
    client.force_login(cast.moderator)
    client.post("/moderate/users/owner", {"action": "unsuspend"})
    assert not Profile.objects.get(user=cast.owner).suspended
    assert ModerationAction.objects.filter(target_user=cast.owner).count() == 2


def test_member_cannot_suspend_and_moderator_not_themselves(client, cast):
    client.force_login(cast.member)
    assert client.post("/moderate/users/owner").status_code == 403
    client.force_login(cast.moderator)
    client.post("/moderate/users/moderator")
    assert not Profile.objects.filter(suspended_at__isnull=False).exists()


def test_moderation_from_the_admin_is_audited_too(client, cast):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("boss", "boss@example.org", "pw-pw-pw-pw")
    entry = make_entry()
    comment = post_comment(cast.owner, entry.paper, "Words")
    client.force_login(admin)
    response = client.post(
        "/admin/community/comment/",
        {"action": "hide_comments", "_selected_action": [comment.pk]},
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.hidden
    assert ModerationAction.objects.get().moderator == admin


def test_a_step_that_changes_nothing_leaves_no_audit_entry(client, cast):
    """Hiding a hidden comment, unfeaturing an unfeatured paper or suspending a suspended
    member twice (two moderators at once, a double click) records the step once."""
    entry = make_entry(by=cast.owner)
    comment = post_comment(cast.owner, entry.paper, "Words")
    client.force_login(cast.moderator)
    for _ in range(2):
        client.post(f"/moderate/comments/{comment.pk}", {"action": "hide"})
        client.post(f"/moderate/entries/{entry.pk}", {"action": "unfeature"})
        client.post("/moderate/users/owner", {"action": "suspend", "reason": "spam"})
    actions = ModerationAction.objects.order_by("id")
    assert [(a.kind, a.moderator, a.target_user, a.reason) for a in actions] == [
        ("hide_comment", cast.moderator, cast.owner, ""),
        ("unfeature", cast.moderator, cast.owner, ""),
        ("suspend", cast.moderator, cast.owner, "spam"),
    ]
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 0  # counted down once


def test_moderator_cannot_suspend_themselves_and_is_told_why(client, cast):
    client.force_login(cast.moderator)
    response = client.post("/moderate/users/moderator", {"action": "suspend"}, follow=True)
    assert "Moderators cannot suspend themselves." in response.content.decode()
    assert not ModerationAction.objects.exists()
