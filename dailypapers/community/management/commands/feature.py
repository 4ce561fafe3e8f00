"""`dailypapers feature ID [--date D] [--by USER]`: an operator features a paper."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.community.models import DailyEntry
from dailypapers.community.submissions import SubmissionRefused, feature


class Command(BaseCommand):
    help = (
        "Feature a paper on a day's list (today by default), fetching it from arXiv if it is "
        "not in the catalogue. Operators skip the members' rules; a paper is featured once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arxiv_id", help="an arXiv id or URL, old or new style")
        parser.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")
        parser.add_argument("--by", help="the user name to credit as submitter")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from None
        by = None
        if options["by"]:
            user_model = get_user_model()
            by = user_model.objects.filter(**{user_model.USERNAME_FIELD: options["by"]}).first()
            if by is None:
                raise CommandError(f"there is no user {options['by']!r}")
        try:
            entry = feature(
                options["arxiv_id"],
                by=by,
                day=day,
                source=DailyEntry.Source.OPERATOR,
                check_rules=False,
            )
        except SubmissionRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"featured {entry.paper.arxiv_id} on {entry.day.isoformat()}")
