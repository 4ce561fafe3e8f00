"""No GET changes state: every endpoint that changes something refuses GET."""

from __future__ import annotations

import pytest

from dailypapers.community.comments import post_comment
from dailypapers.community.models import Comment, DailyEntry, ModerationAction, Vote

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def test_state_changing_endpoints_refuse_get(client, cast):
    entry = make_entry()
    comment = post_comment(cast.owner, entry.paper, "words")
    client.force_login(cast.moderator)
    urls = [
        f"/vote/{entry.pk}",
        f"/comments/on/{entry.paper.pk}",
        f"/comments/{comment.pk}/delete",
        f"/moderate/comments/{comment.pk}",
        f"/moderate/entries/{entry.pk}",
        "/moderate/users/owner",
    ]
    for url in urls:
        assert client.get(url).status_code == 405, url
    assert not Vote.objects.exists()
    assert Comment.objects.get().shown
    assert not DailyEntry.objects.get().hidden
    assert not ModerationAction.objects.exists()
