"""Fill a database with a featured community for benchmarks and demos.

    DAILYPAPERS_DATA_DIR=... python bench/seed_community.py --days 200 --papers 2000 --votes 50000

Features the most recent papers of the catalogue (made up ones when it holds too few) over the
last DAYS days, with users and votes; counts and trending scores are set as voting would."""

from __future__ import annotations

import argparse
import os
import random
from datetime import UTC, datetime, time, timedelta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--votes", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from dailypapers.catalog.models import Paper
    from dailypapers.catalog.records import PaperRecord
    from dailypapers.catalog.upsert import upsert_papers
    from dailypapers.community.models import DailyEntry, Vote, hot_score

    rng = random.Random(args.seed)
    have = Paper.objects.count()
    if have < args.papers:
        records = [
            PaperRecord(
                arxiv_id=f"2411.{n:05d}",
                version=1,
                title=f"Scaling laws for attention with $O(n \\log n)$ memory, part {n}",
                abstract="We study things at scale. " * 20,
                authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
                categories=["cs.LG", "cs.CL"],
            )
            for n in range(10000, 10000 + args.papers - have)
        ]
        upsert_papers(records, source="bench")
    user_model = get_user_model()
    users = [
        user_model(username=f"reader{n}", email=f"reader{n}@example.org") for n in range(args.users)
    ]
    with transaction.atomic():
        user_model.objects.bulk_create(users, ignore_conflicts=True)
        user_ids = list(
            user_model.objects.filter(username__startswith="reader").values_list("id", flat=True)
        )
        featured = set(DailyEntry.objects.values_list("paper_id", flat=True))
        paper_ids = [
            pk
            for pk in Paper.objects.order_by("-submitted", "-id").values_list("id", flat=True)[
                : args.papers + len(featured)
            ]
            if pk not in featured
        ][: args.papers]
        today = timezone.localdate()
        per_day = max(1, len(paper_ids) // args.days)
        weights = [1 / (i + 1) ** 0.8 for i in range(len(paper_ids))]
        votes: dict[int, set[int]] = {pk: set() for pk in paper_ids}
        total, limit = 0, min(args.votes, len(paper_ids) * len(user_ids))
        while total < limit:
            pk = rng.choices(paper_ids, weights)[0]
            user = rng.choice(user_ids)
            if user not in votes[pk]:
                votes[pk].add(user)
                total += 1
        rng.shuffle(paper_ids)
        entries = []
        for i, pk in enumerate(paper_ids):
            day = today - timedelta(days=min(i // per_day, args.days - 1))
            at = datetime.combine(day, time(8 + i % 10, i % 60), tzinfo=UTC)
            up = len(votes[pk])
            entries.append(
                DailyEntry(
                    paper_id=pk,
                    day=day,
                    submitted_by_id=rng.choice(user_ids),
                    submitted_at=at,
                    upvotes=up,
                    hot=hot_score(up, at),
                )
            )
        DailyEntry.objects.bulk_create(entries, batch_size=1000)
        Vote.objects.bulk_create(
            [Vote(user_id=u, paper_id=p) for p, us in votes.items() for u in us],
            batch_size=5000,
            ignore_conflicts=True,
        )
    print(
        f"featured {len(entries)} papers over {args.days} days, "
        f"{sum(len(v) for v in votes.values())} votes by {len(user_ids)} users"
    )


if __name__ == "__main__":
    main()
