from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def uses_redis_queue() -> bool:
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_rq")


class Command(BaseCommand):
    help = "Run background jobs (`serve` runs one itself in embedded mode)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="run the jobs waiting now, then stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if uses_redis_queue():
            call_command(
                "rqworker",
                "default",
                burst=options["batch"],
                with_scheduler=True,
                worker_class="dailypapers.core.rqworker.Worker",
                # django-tasks' jobs: rq's own Job class cannot run them.
                job_class="django_tasks_rq.backend.Job",
            )
        else:
            call_command(
                "db_worker",
                queue_name="default",
                interval=1.0,
                batch=options["batch"],
                reload=False,
                verbosity=options["verbosity"],
            )
