"""The background job: queued once when papers change, queued again while vectors remain."""

import pytest
from django.core.cache import cache

from dailypapers.catalog.models import Paper
from dailypapers.search import tasks
from dailypapers.search.holder import HOLDER
from dailypapers.search.tasks import update_index

pytestmark = pytest.mark.django_db


def queued(queue) -> list[str]:
    return [r.task.name for r in queue.results]


def test_changed_papers_queue_one_job(queue, add_papers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_papers(3)
    with django_capture_on_commit_callbacks(execute=True):
        add_papers(3)
    assert queued(queue) == ["update_index"]


def test_job_indexes_and_queues_itself_while_vectors_remain(queue, add_papers, settings):
    settings.SEARCH_JOB_SECONDS = 0  # keywords only
    add_papers(20)
    assert update_index.call() == 20
    assert Paper.objects.needing_index().count() == 0
    assert HOLDER.index().stats().unembedded == 20
    assert queued(queue) == ["update_index"]
    cache.delete(tasks.QUEUED_KEY)
    settings.SEARCH_JOB_SECONDS = 60
    update_index.call()
    assert HOLDER.index().stats().unembedded == 0
    assert queued(queue) == ["update_index"]  # nothing left: not queued again
