"""The whole way, with real parts: a stranger subscribes from the home page, the confirmation
reaches a loopback SMTP server and nothing else does before the click; the scheduled round
composes and sends at each reader's own hour (UTC-10, UTC, UTC+13), once, with the headers,
both parts and links; a one-click POST from the mail's own header unsubscribes, with no
cookie and no log-in; the next round sends that reader nothing."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from dailypapers.digests import compose
from dailypapers.digests.models import OutboxMessage, Subscription
from dailypapers.digests.sender import send_pending
from dailypapers.digests.tasks import digests_due
from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 10, 0, 0, tzinfo=dt.UTC)


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content())


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


def test_subscribe_confirm_receive_at_ones_hour_and_unsubscribe_in_one_click(
    client: Client, smtp_settings: Any, settings: Any
) -> None:
    settings.SITE_URL = "http://testserver"
    recorder = smtp_settings.recorder
    addresses = {
        "Pacific/Honolulu": "hnl@example.org",
        "UTC": "utc@example.org",
        "Pacific/Auckland": "akl@example.org",
    }
    for address in addresses.values():
        page = client.get("/")
        assert 'action="/digest/subscribe"' in page.content.decode()
        assert client.post("/digest/subscribe", {"email": address}).status_code in {200, 302}
    assert send_pending().sent == 3
    assert sorted(recorder.counts()) == sorted(addresses.values())  # confirmations only
    for zone, address in addresses.items():
        (mail,) = recorder.to(address)
        link = re.search(r"http://testserver(/digest/confirm/\S+)", body(mail, "plain"))
        assert link is not None
        assert client.get(link.group(1)).status_code == 200
        assert Subscription.objects.get(email=address).confirmed_at is None  # a GET does not
        client.post(link.group(1))
        sub = Subscription.objects.get(email=address)
        assert sub.confirmed_at is not None
        sub.time_zone, sub.hour = zone, 7
        # as confirming would have left it: the next issue at the next 7:00 of theirs
        local = START.astimezone(compose.zone_of(zone))
        sub.last_issue_date = local.date() - dt.timedelta(days=0 if local.hour >= 7 else 1)
        sub.save()
    recorder.received.clear()
    # Featured papers for the days around 10 March, then the round every 10 minutes for a day
    for day in (dt.date(2026, 3, 9), dt.date(2026, 3, 10), dt.date(2026, 3, 11)):
        for votes in (3, 1):
            make_entry(day=day, upvotes=votes, title=f"Featured on {day} with {votes} votes")
    start = START
    arrived: dict[str, dt.datetime] = {}
    for step in range(6 * 24):
        now = start + dt.timedelta(minutes=10 * step)
        compose.compose_due(now=now)
        send_pending()
        for address, count in recorder.counts().items():
            if count and address not in arrived:
                arrived[address] = now
    assert recorder.counts() == {a: 1 for a in addresses.values()}  # exactly one each
    for zone, address in addresses.items():
        local = arrived[address].astimezone(compose.zone_of(zone))
        assert (local.hour, local.minute) == (7, 0), (zone, local)
        (mail,) = recorder.to(address)
        offset = local.strftime("%z")
        assert mail["Date"].endswith(offset), (mail["Date"], offset)
        assert mail["Message-ID"] and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = (x.strip(" <>") for x in mail["List-Unsubscribe"].split(","))
        assert mailto.startswith("mailto:unsubscribe@")
        text, html = body(mail, "plain"), body(mail, "html")
        assert "Featured on" in text and "Featured on" in html
        parser = Links()
        parser.feed(html)
        assert {"table", "a"} <= parser.tags and "script" not in parser.tags
        assert any(h.startswith("http://testserver/papers/") for h in parser.hrefs)
        assert any(h.startswith("https://arxiv.org/abs/") for h in parser.hrefs)
        assert https in parser.hrefs  # the footer's unsubscribe link is the header's
        if zone == "UTC":
            leaving, leaving_link = address, https
    # One click, as a mail provider makes it: a POST with the RFC 8058 body, no cookie
    anonymous = Client(enforce_csrf_checks=True)
    reply = anonymous.post(
        urlsplit(leaving_link).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert reply.status_code == 200
    assert Subscription.objects.get(email=leaving).unsubscribed_at is not None
    recorder.received.clear()
    for day in (dt.date(2026, 3, 11), dt.date(2026, 3, 12)):
        make_entry(day=day, upvotes=9, title=f"Newer on {day}")
    nxt = start + dt.timedelta(days=1, hours=12)
    digests_due.call()  # the scheduled round, as the worker runs it
    compose.compose_due(now=nxt)
    send_pending()
    assert leaving not in recorder.counts()
    assert OutboxMessage.objects.filter(to_email=leaving, kind="digest").count() == 1
