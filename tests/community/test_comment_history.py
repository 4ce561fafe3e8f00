"""Edited comments keep every earlier version, shown to their author and to moderators."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.test import Client

from dailypapers.community.comments import CommentRefused, delete_comment, edit_comment
from dailypapers.community.models import Comment, CommentRevision

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def written(client, entry, *bodies):
    """The logged-in user posts the first body, then edits it into each of the others."""
    client.post(f"/comments/on/{entry.paper.pk}", {"body": bodies[0]})
    comment = Comment.objects.latest("pk")
    for body in bodies[1:]:
        assert client.post(f"/comments/{comment.pk}/edit", {"body": body}).status_code == 302
    comment.refresh_from_db()
    return comment


def page_of(client, entry):
    return client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()


def test_every_earlier_version_is_kept(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "Frist *try*", "First try", "First try, with $x^2$")
    assert comment.body == "First try, with $x^2$"
    revisions = list(comment.revisions.all())
    assert [(r.number, r.body) for r in revisions] == [(1, "Frist *try*"), (2, "First try")]
    assert revisions[0].body_html == "<p>Frist <em>try</em></p>\n"
    assert revisions[0].written_at == comment.created_at
    assert revisions[1].written_at == revisions[0].replaced_at
    assert revisions[1].replaced_at == comment.edited_at


def test_saving_the_same_text_records_nothing(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "Same words", "Same words")
    assert comment.edited_at is None
    assert not CommentRevision.objects.exists()


def test_the_page_says_when_a_comment_was_edited(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "Before", "After")
    page = Client().get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert f'edited <time datetime="{comment.edited_at.isoformat()}">' in page
    assert "After" in page


def test_author_and_moderator_see_earlier_versions(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "My first draft", "My final words")
    for who in (cast.owner, cast.moderator):
        client.force_login(who)
        page = page_of(client, entry)
        assert "<summary>Earlier versions (1)</summary>" in page
        assert f'id="c{comment.pk}-v1"' in page
        assert "My first draft" in page


def test_others_do_not_see_earlier_versions(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    written(client, entry, "My first draft", "My final words")
    client.force_login(cast.member)
    for page in (page_of(client, entry), page_of(Client(), entry)):
        assert "My final words" in page
        assert "My first draft" not in page
        assert "Earlier versions" not in page


def test_moderator_sees_the_history_of_a_hidden_comment(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "Polite at first", "Rude later")
    client.force_login(cast.moderator)
    client.post(f"/moderate/comments/{comment.pk}", {"action": "hide", "reason": "rude"})
    page = page_of(client, entry)
    assert "hidden by a moderator" in page and "Polite at first" in page
    client.force_login(cast.owner)
    assert "Polite at first" not in page_of(client, entry)


def test_deleted_or_foreign_comments_cannot_be_edited(cast):
    entry = make_entry()
    client = Client()
    client.force_login(cast.owner)
    comment = written(client, entry, "Mine")
    with pytest.raises(CommentRefused):
        edit_comment(cast.member, comment, "Taken over")
    delete_comment(cast.owner, comment)
    with pytest.raises(CommentRefused):
        edit_comment(cast.owner, comment, "Back from the dead")
    assert not CommentRevision.objects.exists()
    assert Comment.objects.get(pk=comment.pk).body == "Mine"


def test_a_comment_with_history_cannot_be_deleted_from_the_database(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "One", "Two")
    with pytest.raises(ProtectedError):
        comment.delete()
    assert CommentRevision.objects.get().body == "One"


def test_admin_shows_the_revisions(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    comment = written(client, entry, "The first text", "The second text", "The third text")
    admin = User.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(admin)
    page = client.get(f"/admin/community/comment/{comment.pk}/change/").content.decode()
    assert "The first text" in page and "The second text" in page
    assert page.index("The first text") < page.index("The second text")


def test_the_history_costs_one_query_however_many_edits(client, cast, django_assert_num_queries):
    entry = make_entry()
    client.force_login(cast.owner)
    first = written(client, entry, "a", "b")
    url = f"/papers/{entry.paper.arxiv_id}"
    # paper, entry, session, user, votes, comments, revisions, the links set by hand, two
    # permission lookups, and the reader's saved, read and collection state
    # (library.context_processors)
    with django_assert_num_queries(14):
        client.get(url)
    for n in range(5):
        client.post(f"/comments/on/{entry.paper.pk}", {"body": f"r{n}", "parent": first.pk})
        reply = Comment.objects.latest("pk")
        client.post(f"/comments/{reply.pk}/edit", {"body": f"r{n}, edited"})
    with django_assert_num_queries(14):
        client.get(url)
