from __future__ import annotations

import os
import sys
import threading
from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from dailypapers.core.forking import check_after_fork, close_before_fork
from dailypapers.core.supervisor import Child, supervised


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from dailypapers.wsgi import application

        return application


def _warm_search(worker: Any) -> None:
    """gunicorn's post_worker_init: each web process readies search in the background.

    A web process embeds one short query at a time, beside other requests and a search's
    keyword half running in another thread: its torch uses one thread (set before torch is
    imported), the machine's cores being shared by the web processes."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if settings.SEARCH_WARM_UP:
        from dailypapers.search.holder import warm_up

        threading.Thread(target=warm_up, name="search-warm-up", daemon=True).start()


def _pre_fork(server: Any, worker: Any) -> None:
    """gunicorn's pre_fork, in the server before each web process is forked (a web process
    that died is replaced by another fork): no connection of the server's is handed on."""
    close_before_fork()


def _post_fork(server: Any, worker: Any) -> None:
    """gunicorn's post_fork, in each new web process: it must have inherited no connection."""
    check_after_fork()


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The web server's settings. One thread a process (the default): gunicorn's sync
    workers, each taking one request at a time off the shared socket, so the load spreads
    evenly over the processes; a gthread process accepts every connection it sees, even
    while busy, and keeps it alive, so under load a few processes hold most clients and
    their requests wait (docs/configuration.md has the figures). More threads: gthread,
    which keeps connections alive and copes with slow clients without a proxy in front."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync" if threads <= 1 else "gthread",
        "threads": max(threads, 1),
        "accesslog": "-",
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        "proc_name": "dailypapers",
        "control_socket_disable": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "post_worker_init": _warm_search,
    }


def background_children() -> list[Child]:
    """Embedded mode's background roles, run beside the web server: the job worker and the
    scheduler, each the same verb an operator runs on its own in production."""
    return [
        Child("background jobs: worker", [sys.executable, "-m", "dailypapers.cli", "worker"]),
        Child("scheduler", [sys.executable, "-m", "dailypapers.cli", "scheduler"]),
    ]


class Command(BaseCommand):
    help = "Serve the site (and, in embedded mode, run its background jobs)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default=settings.SERVE_HOST, help="default: HOST or 127.0.0.1"
        )
        parser.add_argument(
            "--port", type=int, default=settings.SERVE_PORT, help="default: PORT or 8000"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.WEB_CONCURRENCY,
            help="web processes (default: WEB_CONCURRENCY or 2)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.WEB_THREADS,
            help="threads per web process; 1 runs sync workers (default: WEB_THREADS or 1)",
        )
        parser.add_argument(
            "--jobs",
            action=BooleanOptionalAction,
            default=not settings.PRODUCTION,
            help="run a job worker and the scheduler too (default: on in embedded mode)",
        )
        parser.add_argument("--no-migrate", action="store_true", help="skip applying migrations")

    def handle(self, *args: Any, **options: Any) -> None:
        mode = "production" if settings.PRODUCTION else "embedded"
        self.stdout.write(f"Daily Papers ({mode} mode), data in {settings.DATA_DIR}")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from dailypapers.sources.schedule import start_first_fill

        start_first_fill()  # an empty catalogue fills itself in the background
        children = background_children() if options["jobs"] else []
        url = f"http://{options['host']}:{options['port']}"
        with supervised(children):
            self.stdout.write(f"Serving on {url} (Ctrl-C stops)")
            self.stdout.flush()
            _Gunicorn(
                gunicorn_options(
                    options["host"], options["port"], options["workers"], options["threads"]
                )
            ).run()
