"""Reply and mention mails: who is told, the batching, the mail itself, the one-click off."""

from __future__ import annotations

import email
import email.policy
import smtplib
import threading
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.catalog.models import Paper
from dailypapers.community.comments import delete_comment, edit_comment, post_comment
from dailypapers.community.models import Comment
from dailypapers.community.moderation import set_comment_hidden
from dailypapers.digests import links, notices
from dailypapers.digests.models import MailPreference, Notification, OutboxMessage, Subscription
from dailypapers.digests.notice_tasks import compose_notices_task
from dailypapers.digests.notices import compose_notices
from tests.accounts.smtp import start
from tests.community.helpers import make_entry, make_user

pytestmark = pytest.mark.django_db


def later(minutes: int = 16) -> Any:
    return timezone.now() + timedelta(minutes=minutes)


def told(user: User) -> list[tuple[int, str]]:
    rows = Notification.objects.filter(user=user).order_by("id")
    return list(rows.values_list("comment_id", "reason"))


def message(row: OutboxMessage) -> EmailMessage:
    parsed = email.message_from_bytes(row.raw(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(row: OutboxMessage) -> tuple[str, str]:
    msg = message(row)
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


@pytest.fixture
def paper() -> Paper:
    return make_entry(title="Sparse   attention\nfor long documents").paper


# --- who is told --------------------------------------------------------------------------


def test_a_reply_tells_the_parent_author(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question about table 2.")
    reply = post_comment(cast.member, paper, "It is a typo.", parent=first)
    assert told(cast.owner) == [(reply.pk, "reply")]
    assert told(cast.member) == []


def test_a_reply_through_the_page_tells_the_parent_author(
    client: Client, cast: Any, paper: Paper, fresh_cache: None
) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    client.force_login(cast.member)
    response = client.post(f"/comments/on/{paper.pk}", {"body": "An answer.", "parent": first.pk})
    assert response.status_code == 302
    assert told(cast.owner) == [(Comment.objects.get(parent=first).pk, "reply")]


def test_a_mention_tells_the_mentioned_member(cast: Any, paper: Paper) -> None:
    comment = post_comment(cast.owner, paper, "What do you think, @member? And (@MODERATOR).")
    assert told(cast.member) == [(comment.pk, "mention")]
    assert told(cast.moderator) == [(comment.pk, "mention")]  # case does not matter


def test_an_edit_that_adds_a_mention_tells_the_member_once(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.member, paper, "A question.")
    reply = post_comment(cast.owner, paper, "No mention yet.", parent=first)
    assert told(cast.moderator) == [] and told(cast.member) == [(reply.pk, "reply")]
    edit_comment(cast.owner, reply, "On second thought, @moderator and @member should see this.")
    assert told(cast.moderator) == [(reply.pk, "mention")]
    assert told(cast.member) == [(reply.pk, "reply")]  # told already, as the parent's author
    edit_comment(cast.owner, reply, "Still for @moderator, with a typo fixed.")
    assert told(cast.moderator) == [(reply.pk, "mention")]  # not twice


def test_trailing_punctuation_and_addresses(cast: Any, paper: Paper) -> None:
    dotted = make_user("ada.l")
    post_comment(cast.owner, paper, "Ask @member. Or mail x@moderator.org. Or ask @ada.l.")
    assert len(told(cast.member)) == 1
    assert told(cast.moderator) == []  # an address, not a mention
    assert len(told(dotted)) == 1


def test_mentions_in_code_and_math_do_not_count(cast: Any, paper: Paper) -> None:
    body = "Run `ping @member` first:\n\n```\n@moderator\n```\n\n    @member\n\nand $@member$."
    post_comment(cast.owner, paper, body)
    assert not Notification.objects.exists()


def test_unknown_and_inactive_members_are_not_told(cast: Any, paper: Paper) -> None:
    User.objects.filter(pk=cast.member.pk).update(is_active=False)
    post_comment(cast.owner, paper, "Hello @member and @nobody-here")
    assert not Notification.objects.exists()


def test_no_notice_for_oneself(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A thought.")
    post_comment(cast.owner, paper, "And another, says @owner.", parent=first)
    post_comment(cast.owner, paper, "Me, @owner, again.")
    assert not Notification.objects.exists()


def test_a_reply_that_mentions_the_parent_author_tells_them_once(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A thought.")
    reply = post_comment(cast.member, paper, "@owner yes, @owner.", parent=first)
    assert told(cast.owner) == [(reply.pk, "reply")]


def test_mentions_are_capped(cast: Any, paper: Paper) -> None:
    many = [make_user(f"reader{i}") for i in range(notices.MENTION_CAP + 3)]
    post_comment(cast.owner, paper, " ".join(f"@{u.username}" for u in many))
    assert Notification.objects.count() == notices.MENTION_CAP
    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        u.pk for u in many[: notices.MENTION_CAP]
    }


def test_opted_out_members_are_not_told(cast: Any, paper: Paper) -> None:
    MailPreference.objects.create(user=cast.owner, replies=False)
    first = post_comment(cast.owner, paper, "A thought.")
    post_comment(cast.member, paper, "A reply to @owner.", parent=first)
    assert not Notification.objects.exists()


# --- batching -----------------------------------------------------------------------------


def test_a_burst_of_replies_is_one_mail_after_the_wait(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question about table 2.")
    replies = [post_comment(cast.member, paper, f"Answer {i}.", parent=first) for i in range(3)]
    assert compose_notices() == 0  # the burst is still settling
    assert compose_notices(later(10)) == 0
    assert compose_notices(later(16)) == 1
    row = OutboxMessage.objects.get()
    assert row.kind == "notice" and row.user_id == cast.owner.pk
    assert row.to_email == "owner@example.org"
    assert row.key == f"notice:{cast.owner.pk}:{Notification.objects.latest('id').pk}"
    text, html = parts(row)
    for i, reply in enumerate(replies):
        assert f"Answer {i}." in text and f"Answer {i}." in html
        assert f"#c{reply.pk}" in text
    assert "3 new replies to your comments" in row.subject
    assert not Notification.objects.filter(mailed_at__isnull=True).exists()
    assert compose_notices(later(60)) == 0  # nothing twice


def test_a_later_reply_is_a_later_mail(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "One.", parent=first)
    assert compose_notices(later()) == 1
    post_comment(cast.member, paper, "Two.", parent=first)
    assert compose_notices(later(20)) == 1
    assert OutboxMessage.objects.count() == 2
    assert "Two." in parts(OutboxMessage.objects.latest("id"))[0]
    assert "One." not in parts(OutboxMessage.objects.latest("id"))[0]


def test_hidden_and_deleted_comments_are_left_out(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    kept = post_comment(cast.member, paper, "A fair answer.", parent=first)
    hidden = post_comment(cast.member, paper, "Something rude.", parent=first)
    deleted = post_comment(cast.member, paper, "Second thoughts.", parent=first)
    set_comment_hidden(cast.moderator, hidden, True)
    delete_comment(cast.member, deleted)
    assert compose_notices(later()) == 1
    text, html = parts(OutboxMessage.objects.get())
    assert "A fair answer." in text and f"#c{kept.pk}" in text
    for gone in ("Something rude", "Second thoughts"):
        assert gone not in text and gone not in html
    assert f"#c{hidden.pk}" not in text
    assert not Notification.objects.filter(mailed_at__isnull=True).exists()


def test_no_mail_when_every_comment_is_gone(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    hidden = post_comment(cast.member, paper, "Something rude.", parent=first)
    set_comment_hidden(cast.moderator, hidden, True)
    assert compose_notices(later()) == 0
    assert not OutboxMessage.objects.exists()


def test_members_without_a_verified_address_get_no_mail(cast: Any, paper: Paper) -> None:
    post_comment(cast.owner, paper, "Welcome, @stranger.")
    assert len(told(cast.stranger)) == 1
    assert compose_notices(later()) == 0
    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.exists()  # nothing left to be mailed after all


def test_opting_out_after_the_reply_stops_the_mail(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "An answer.", parent=first)
    notices.turn_off(cast.owner)
    assert compose_notices(later()) == 0


def test_the_mail_is_in_the_readers_time_zone(cast: Any, paper: Paper) -> None:
    Subscription.objects.create(email="owner@example.org", user=cast.owner, time_zone="Asia/Tokyo")
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "An answer.", parent=first)
    compose_notices(later())
    assert OutboxMessage.objects.get().time_zone == "Asia/Tokyo"


def test_the_task_composes(cast: Any, paper: Paper, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "An answer.", parent=first)
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=20))
    result = compose_notices_task.enqueue()
    assert result.return_value == 1
    assert OutboxMessage.objects.filter(kind="notice").count() == 1


# --- the mail -----------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k == "href"]


def test_the_mail_has_both_parts_links_and_headers(cast: Any, paper: Paper, settings: Any) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    reply = post_comment(cast.member, paper, "See **section 3**, @owner.", parent=first)
    compose_notices(later())
    row = OutboxMessage.objects.get()
    msg = message(row)
    text, html = parts(row)
    url = f"{settings.SITE_URL}/papers/{paper.arxiv_id}#c{reply.pk}"
    assert url in text
    assert "member replied to your comment" in text
    assert "See section 3, @owner." in text  # plain text, not Markdown or HTML
    assert "Sparse attention for long documents" in text
    tags = _Tags()
    tags.feed(html)
    assert url in tags.links
    assert "table" in tags.tags and not {"script", "img", "link", "style"} & set(tags.tags)
    assert msg["Subject"] == row.subject
    assert msg["Subject"].startswith("member replied to your comment on")
    assert msg["To"] == "owner@example.org" and msg["Message-ID"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [v.strip(" <>") for v in msg["List-Unsubscribe"].split(",")]
    assert https == notices.off_url(cast.owner.pk)
    assert https.startswith(f"{settings.SITE_URL}/digest/notices/off/")
    assert mailto.startswith("mailto:") and "replies-off" in mailto
    assert https in text and https in tags.links


def test_list_unsubscribe_is_plain_links_on_the_wire(
    cast: Any, paper: Paper, settings: Any
) -> None:
    """Not RFC 2047 encoded words (which the standard library writes for a long header), or
    mail clients show no unsubscribe button; folded between the links, lines under 998."""
    settings.SITE_URL = "https://papers.a-rather-long-domain-name.example.org"
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "An answer.", parent=first)
    compose_notices(later())
    head = OutboxMessage.objects.get().raw().split(b"\r\n\r\n")[0].decode("ascii")
    lines = head.split("\r\n")
    (start,) = [i for i, line in enumerate(lines) if line.startswith("List-Unsubscribe:")]
    assert lines[start] == f"List-Unsubscribe: <{notices.off_url(cast.owner.pk)}>,"
    assert lines[start + 1] == f" <{notices.off_mailto(cast.owner.pk)}>"
    assert max(len(line) for line in lines) < 998


def test_hostile_html_in_a_comment_is_escaped(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> "quoted" & @owner'
    post_comment(cast.member, paper, hostile, parent=first)
    compose_notices(later())
    text, html = parts(OutboxMessage.objects.get())
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in text  # plain text says what was written


def test_a_long_comment_is_cut(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "word " * 2000, parent=first)
    compose_notices(later())
    text, _ = parts(OutboxMessage.objects.get())
    assert "…" in text and text.count("word") < 80


def test_a_real_smtp_server_takes_the_mail(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "An answer.", parent=first)
    compose_notices(later())
    row = OutboxMessage.objects.get()
    controller, box, port = start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail("papers@localhost", [row.to_email], row.wire_bytes(timezone.now()))
    finally:
        controller.stop()
    (got,) = box.messages
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "An answer." in box.text(got) and "An answer." in box.html(got)


# --- turning them off ---------------------------------------------------------------------


def test_one_click_turns_reply_mails_off(cast: Any, paper: Paper, settings: Any) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "An answer.", parent=first)
    compose_notices(later())
    https = message(OutboxMessage.objects.get())["List-Unsubscribe"].split(",")[0].strip(" <>")
    path = https.removeprefix(settings.SITE_URL)
    client = Client(enforce_csrf_checks=True)  # no cookies, no token: as a mail client posts
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not MailPreference.objects.get(user=cast.owner).replies
    post_comment(cast.member, paper, "Another answer.", parent=first)
    assert Notification.objects.filter(mailed_at__isnull=True).count() == 0


def test_the_link_asks_before_turning_off(client: Client, cast: Any) -> None:
    path = notices.OFF_PATH.format(signed=notices.sign(cast.owner.pk))
    page = client.get(path)
    assert page.status_code == 200
    assert b"Turn reply mails off" in page.content and b'method="post"' in page.content
    assert notices.wants_replies(cast.owner)  # a GET changes nothing
    client.post(path)
    assert not notices.wants_replies(cast.owner)
    assert b"already off" in client.get(path).content


@pytest.mark.parametrize(
    "signed",
    ["1:forged", "garbage", "%00", "1%00:abc", "x" * 5000, "%F0%9F%92%A9:%00", "%C3%28"],
)
def test_hostile_links_get_a_clear_page(client: Client, cast: Any, signed: str) -> None:
    for method in (client.get, client.post):
        response = method(f"/digest/notices/off/{signed}")
        assert response.status_code == 400, signed
        # a NUL is refused before any view sees it (core.middleware), with its own message
        clear = b"NUL character" if "%00" in signed else b"This link does not work"
        assert clear in response.content
    assert notices.wants_replies(cast.owner)


def test_other_signed_links_do_not_work_here(client: Client, cast: Any) -> None:
    subscription = Subscription.objects.create(email="owner@example.org", user=cast.owner)
    forged = links.sign(subscription)  # the digests' signature, another salt
    assert client.post(f"/digest/notices/off/{forged}").status_code == 400
    gone = notices.sign(999_999)  # a real signature for no one
    assert client.post(f"/digest/notices/off/{gone}").status_code == 400
    assert notices.wants_replies(cast.owner)


# --- queries and concurrency --------------------------------------------------------------


def test_queries_do_not_grow_with_the_notices(cast: Any, paper: Paper) -> None:
    first = post_comment(cast.owner, paper, "A question.")
    post_comment(cast.member, paper, "One answer.", parent=first)
    with CaptureQueriesContext(connection) as one:
        assert compose_notices(later()) == 1
    second = post_comment(cast.member, paper, "Another question.")
    for i in range(6):
        post_comment(cast.moderator, paper, f"Answer {i}.", parent=second)
    with CaptureQueriesContext(connection) as six:
        assert compose_notices(later()) == 1
    assert len(six) == len(one)


def test_recording_queries_do_not_grow_with_the_mentions(cast: Any, paper: Paper) -> None:
    readers = [make_user(f"reader{i}") for i in range(8)]
    with CaptureQueriesContext(connection) as one:
        post_comment(cast.owner, paper, "Hello @reader0")
    with CaptureQueriesContext(connection) as eight:
        post_comment(cast.owner, paper, " ".join(f"@{u.username}" for u in readers) + " @Nobody")
    assert Notification.objects.count() == 9
    assert len(eight) <= len(one) + 1  # the look-up ignoring case, for @Nobody


@pytest.mark.django_db(transaction=True)
def test_two_composers_at_once_mail_each_member_once(cast: Any, paper: Paper) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: on PostgreSQL (SQLite runs one writer at a time)")
    readers = [make_user(f"reader{i}") for i in range(12)]
    for reader in readers:
        first = post_comment(reader, paper, "A question.")
        post_comment(cast.member, paper, "An answer.", parent=first)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def compose() -> None:
        barrier.wait()
        try:
            counts.append(compose_notices(later()))
        finally:
            connection.close()

    threads = [threading.Thread(target=compose) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == len(readers) and len(counts) == 2
    rows = OutboxMessage.objects.filter(kind="notice")
    assert sorted(rows.values_list("user_id", flat=True)) == sorted(r.pk for r in readers)
    assert not Notification.objects.filter(mailed_at__isnull=True).exists()


def test_a_comments_excerpt_reads_its_formulas_as_plain_text() -> None:
    from dailypapers.community.markup import render_markdown

    body = render_markdown(r"The $\alpha$-bound holds, & so does \(x^2\) at 50% <b>")
    assert notices.plain_text(body) == "The \u03b1-bound holds, & so does x^2 at 50% <b>"
