"""`dailypapers feature ID [--date D] [--by USER]`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dailypapers.community.models import DailyEntry

from .helpers import make_paper

pytestmark = pytest.mark.django_db


def test_operator_features_any_paper_on_any_day(cast, capsys):
    old = make_paper(arxiv_id="hep-th/9901001", submitted=timezone.now() - timedelta(days=9000))
    call_command("feature", "hep-th/9901001v2", "--date", "2026-11-20", "--by", "owner")
    entry = DailyEntry.objects.get(paper=old)
    assert (entry.day, entry.submitted_by, entry.source) == (
        date(2026, 11, 20),
        cast.owner,
        "operator",
    )
    assert "featured hep-th/9901001 on 2026-11-20" in capsys.readouterr().out


def test_today_by_default_and_once_only(db):
    paper = make_paper()
    call_command("feature", paper.arxiv_id)
    assert DailyEntry.objects.get(paper=paper).day == timezone.localdate()
    with pytest.raises(CommandError, match="already featured"):
        call_command("feature", paper.arxiv_id)


def test_bad_arguments(db):
    paper = make_paper()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("feature", paper.arxiv_id, "--date", "tomorrow")
    with pytest.raises(CommandError, match="no user"):
        call_command("feature", paper.arxiv_id, "--by", "nobody")
    with pytest.raises(CommandError, match="not an arXiv id"):
        call_command("feature", "nonsense")
