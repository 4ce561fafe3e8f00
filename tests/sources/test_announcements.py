"""The daily announcement feeds (Atom and RSS) against a loopback server."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from dailypapers.catalog.models import Paper
from dailypapers.sources import jobs
from dailypapers.sources.http import SourceError
from dailypapers.sources.models import Announcement
from tests.sources.sources_loopback import HTML, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def feed(name: str, kind: str = "application/atom+xml") -> Reply:
    return Reply(200, fixture(name), kind)


def test_atom_feed_keeps_announce_types(sources):
    """Hostile input among the entries: one whose id is not an arXiv id."""
    sources.reply("/atom/cs.AI+cs.CL", feed("announcements_atom.xml"))
    run = jobs.ingest_announcements(["cs.AI", "cs.CL"])
    assert (run.status, run.added, run.rejected) == ("succeeded", 3, 1)
    assert "garbage" in run.errors[0]["id"]
    types = dict(Announcement.objects.values_list("paper__arxiv_id", "announce_type"))
    assert types == {"2508.13426": "cross", "2508.13500": "new", "2401.01234": "replace"}
    assert set(Announcement.objects.values_list("day", flat=True)) == {date(2025, 8, 20)}
    align = Paper.objects.get(arxiv_id="2508.13426")
    assert align.abstract.startswith("As large language models (LLMs)")  # preamble removed
    assert align.author_names == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert align.categories == ["cs.CL", "cs.AI"]
    assert align.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert Paper.objects.get(arxiv_id="2508.13500").author_names == ["Maria Rossi", "Jean Dupont"]
    assert Paper.objects.get(arxiv_id="2401.01234").version == 3


def test_rerun_changes_nothing(sources):
    sources.reply("/atom/cs.AI+cs.CL", feed("announcements_atom.xml"))
    jobs.ingest_announcements(["cs.AI", "cs.CL"])
    run = jobs.ingest_announcements(["cs.AI", "cs.CL"])
    assert (run.added, run.updated, run.unchanged) == (0, 0, 3)
    assert Announcement.objects.count() == 3


def test_rss_feed(sources, settings):
    settings.ARXIV_FEED_URL = sources.url("/rss")
    sources.reply("/rss/cs.LG", feed("announcements_rss.xml", "application/rss+xml"))
    run = jobs.ingest_announcements(["cs.LG"])
    assert run.added == 2
    types = dict(Announcement.objects.values_list("paper__arxiv_id", "announce_type"))
    assert types == {"2508.14001": "new", "2203.01250": "replace-cross"}
    paper = Paper.objects.get(arxiv_id="2508.14001")
    assert paper.abstract == "We propose learning rates that adapt without tuning."
    assert paper.author_names == ["Priya Natarajan", "Tomás Ferreira"]
    assert Announcement.objects.get(paper=paper).day == date(2025, 8, 21)


def test_empty_feed_is_normal(sources, capsys):
    """Hostile input: a feed with no entries (a Saturday)."""
    sources.reply("/atom/cs.AI", feed("announcements_empty.xml"))
    call_command("ingest", "announcements", "cs.AI")
    assert "the feed is empty today" in capsys.readouterr().out
    assert Paper.objects.count() == 0


def test_configured_categories_are_the_default(sources, settings):
    settings.ARXIV_CATEGORIES = ["cs.AI", "cs.CL"]
    sources.reply("/atom/cs.AI+cs.CL", feed("announcements_atom.xml"))
    call_command("ingest", "announcements", "--dry-run")
    assert Paper.objects.count() == 0 and Announcement.objects.count() == 0
    call_command("ingest", "announcements")
    assert Announcement.objects.count() == 3


def test_html_and_truncated_feeds_are_clear_errors(sources):
    """Hostile input: an HTML error page, then a feed cut off mid-entry."""
    sources.reply("/atom/cs.AI", Reply(200, fixture("maintenance.html"), HTML))
    with pytest.raises(SourceError, match="HTML page instead of XML"):
        jobs.ingest_announcements(["cs.AI"])
    sources.reply("/atom/cs.AI", Reply(200, fixture("announcements_atom.xml")[:1500]))
    with pytest.raises(SourceError, match="malformed or cut short"):
        jobs.ingest_announcements(["cs.AI"])
    assert Paper.objects.count() == 0


def test_entity_expansion_is_refused(sources):
    """Hostile input: a "billion laughs" entity declaration."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>'
    )
    sources.reply("/atom/cs.AI", Reply(200, bomb))
    with pytest.raises(SourceError, match="refused unsafe XML"):
        jobs.ingest_announcements(["cs.AI"])
