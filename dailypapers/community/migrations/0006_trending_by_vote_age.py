"""Trending by the age of each vote: every entry's score recomputed from its featuring time
and its votes' times (the formula of ``dailypapers.community.models.trending_score``, copied
here so that this migration keeps meaning what it meant)."""

import math

from django.db import migrations, models

EPOCH = 1_735_689_600
HALF_LIFE = 86_400


def _term(at):
    return (at.timestamp() - EPOCH) / HALF_LIFE


def _add(a, b):
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log2(1 + 2 ** (low - high))


def rescore(apps, schema_editor):
    DailyEntry = apps.get_model("community", "DailyEntry")
    Vote = apps.get_model("community", "Vote")
    changed = []
    for entry in DailyEntry.objects.only("id", "paper_id", "submitted_at", "hot").iterator(
        chunk_size=2000
    ):
        score = _term(entry.submitted_at)
        for at in Vote.objects.filter(paper_id=entry.paper_id).values_list("created_at", flat=True):
            score = _add(score, _term(at))
        entry.hot = round(score, 7)
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
