"""Comments: post, reply, Markdown with math made safe, edit and delete your own."""

from __future__ import annotations

import pytest

from dailypapers.community.models import Comment, DailyEntry

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def post(client, entry, body, parent=None):
    data = {"body": body}
    if parent:
        data["parent"] = parent.pk
    return client.post(f"/comments/on/{entry.paper.pk}", data)


def test_owner_comments_and_member_replies(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    response = post(client, entry, "Nice **result**, but is $a_1 * b_2$ right?")
    first = Comment.objects.get()
    assert response["Location"].endswith(f"#c{first.pk}")
    client.force_login(cast.member)
    post(client, entry, "Yes.", parent=first)
    reply = Comment.objects.get(parent=first)
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "<strong>result</strong>" in page
    assert '<span class="math">$a_1 * b_2$</span>' in page
    assert page.index(f'id="c{first.pk}"') < page.index(f'id="c{reply.pk}"')
    assert 'class="comments replies"' in page
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 2


def test_visitor_cannot_comment(client):
    entry = make_entry()
    response = post(client, entry, "hello")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Comment.objects.exists()


def test_empty_and_huge_comments_are_refused(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    post(client, entry, "   ")
    post(client, entry, "x" * 100_001)
    assert not Comment.objects.exists()
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "at most 20,000 characters" in page


def test_owner_edits_their_comment(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    post(client, entry, "Frist")
    comment = Comment.objects.get()
    assert "Frist" in client.get(f"/comments/{comment.pk}/edit").content.decode()
    client.post(f"/comments/{comment.pk}/edit", {"body": "First, *fixed*"})
    comment.refresh_from_db()
    assert comment.body_html == "<p>First, <em>fixed</em></p>\n"
    assert comment.edited_at is not None
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert f'edited <time datetime="{comment.edited_at.isoformat()}">' in page


def test_member_cannot_edit_or_delete_the_owners_comment(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    post(client, entry, "Mine")
    comment = Comment.objects.get()
    client.force_login(cast.member)
    assert client.get(f"/comments/{comment.pk}/edit").status_code == 403
    assert client.post(f"/comments/{comment.pk}/edit", {"body": "Yours"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/delete").status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_at) == ("Mine", None)


def test_delete_keeps_the_text_and_the_replies(client, cast):
    entry = make_entry()
    client.force_login(cast.owner)
    post(client, entry, "Original words")
    comment = Comment.objects.get()
    client.force_login(cast.member)
    post(client, entry, "A reply", parent=comment)
    client.force_login(cast.owner)
    assert client.get(f"/comments/{comment.pk}/delete").status_code == 405
    client.post(f"/comments/{comment.pk}/delete")
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "Original words"
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "Original words" not in page
    assert "deleted by its author" in page
    assert "A reply" in page
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 1


def test_comments_are_rate_limited(client, cast, settings):
    settings.RATE_COMMENT = "2/m"
    entry = make_entry()
    client.force_login(cast.owner)
    codes = [post(client, entry, f"c{n}").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert Comment.objects.count() == 2


def test_deleting_a_comment_a_moderator_just_hid_counts_it_out_once(cast):
    """The author's page still shows the comment while a moderator hides it; the delete then
    finds it hidden (and already counted out) and lowers the count no further."""
    from dailypapers.community.comments import CommentRefused, delete_comment, post_comment
    from dailypapers.community.moderation import set_comment_hidden

    from .helpers import make_user

    entry = make_entry()
    stale = post_comment(cast.owner, entry.paper, "Words")
    post_comment(cast.member, entry.paper, "Other words")
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 2
    set_comment_hidden(make_user("mod", moderator=True), Comment.objects.get(pk=stale.pk), True, "")
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 1
    delete_comment(cast.owner, stale)  # the object as loaded before the moderator acted
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 1
    assert Comment.objects.get(pk=stale.pk).deleted_at is not None
    with pytest.raises(CommentRefused):  # twice: refused, nothing more
        delete_comment(cast.owner, stale)
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 1


def test_a_paper_discussed_before_it_is_featured_counts_its_comments(cast):
    """Readers comment on a paper's page before anyone features it. Its entry, made by a
    member or read from Hugging Face's list, starts with the comments readers see (a deleted
    or hidden one not counted), and deleting them brings the count to 0, never below (a
    count below 0 was a 500)."""
    from datetime import UTC, datetime

    from dailypapers.community.comments import delete_comment, post_comment
    from dailypapers.community.moderation import set_comment_hidden
    from dailypapers.community.submissions import feature, record_featurings
    from dailypapers.sources.items import Featuring

    from .helpers import make_paper

    first, second = make_paper(), make_paper()
    kept = post_comment(cast.member, first, "Read this.")
    gone = post_comment(cast.member, first, "And this.")
    delete_comment(cast.member, gone)
    hidden = post_comment(cast.owner, first, "Spam.")
    set_comment_hidden(None, hidden, True, "spam")
    on_second = [post_comment(cast.member, second, f"Remark {n}") for n in range(3)]

    entry = feature(first.arxiv_id, by=cast.member, check_rules=False)
    assert entry.comment_count == 1
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    record_featurings([Featuring(arxiv_id=second.arxiv_id, day=at.date(), by="hf", at=at)])
    assert DailyEntry.objects.get(paper=second).comment_count == 3

    delete_comment(cast.member, kept)
    set_comment_hidden(None, hidden, False, "not spam")  # shown again: counted again
    assert DailyEntry.objects.get(pk=entry.pk).comment_count == 1
    DailyEntry.objects.filter(paper=second).update(comment_count=0)  # a count gone wrong
    delete_comment(cast.member, on_second[0])
    assert DailyEntry.objects.get(paper=second).comment_count == 0
