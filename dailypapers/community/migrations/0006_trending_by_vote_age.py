"""Trending by the age of each vote: every entry's score recomputed from its featuring time
and its votes' times (the formula of ``dailypapers.community.models.trending_score``, copied
here so that this migration keeps meaning what it meant)."""

import math

from django.db import migrations, models

EPOCH = 1_735_689_600
HALF_LIFE = 86_400


def _term(at):
    return (at.timestamp() - EPOCH) / HALF_LIFE


def _score(featured_at, vote_times):
    terms = sorted([_term(featured_at), *(_term(at) for at in vote_times)])
    top = terms[-1]
    return round(top + math.log2(math.fsum(2 ** (t - top) for t in terms)), 7)


def rescore(apps, schema_editor):
    DailyEntry = apps.get_model("community", "DailyEntry")
    Vote = apps.get_model("community", "Vote")
    changed = []
    for entry in DailyEntry.objects.only("id", "paper_id", "submitted_at", "hot").iterator(
        chunk_size=2000
    ):
        times = Vote.objects.filter(paper_id=entry.paper_id).values_list("created_at", flat=True)
        entry.hot = _score(entry.submitted_at, times)
        changed.append(entry)
        if len(changed) >= 2000:
            DailyEntry.objects.bulk_update(changed, ["hot"])
            changed = []
    DailyEntry.objects.bulk_update(changed, ["hot"])


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0005_votes_from_the_database"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dailyentry",
            name="hot",
            field=models.FloatField(default=0.0, help_text="Trending score (see trending_score)."),
        ),
        migrations.RunPython(rescore, migrations.RunPython.noop),
    ]
