from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from dailypapers.core.forking import check_after_fork, close_before_fork

log = logging.getLogger("dailypapers.serve")


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


STOPPED = {0, -signal.SIGTERM, -signal.SIGINT}


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


class JobWorker:
    """A background verb (the job worker, the scheduler) as a child process, restarted if it
    dies."""

    def __init__(self, verb: str = "worker") -> None:
        self.verb = verb
        self.label = "background jobs" if verb == "worker" else verb
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.owner = os.getpid()
        self.thread = threading.Thread(target=self._supervise, name=f"job-{verb}", daemon=True)

    def start(self) -> None:
        """Start the process now, from the calling thread, then supervise it in another.

        Called before gunicorn forks its web processes: a Popen running in another thread
        while the server forks can hand its error pipe to a web process (fork without exec)
        and then wait for that web process to exit."""
        self._spawn()
        self.thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", self.verb])
        log.info("%s: %s started (pid %s)", self.label, self.verb, self.process.pid)

    def _supervise(self) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            if self.process is None or self.process.poll() is not None:
                self._spawn()
            assert self.process is not None
            started = time.monotonic()
            code = self.process.wait()
            if self.stopping.is_set() or code in STOPPED:
                # It stopped on a signal, cleanly (0) or before it could handle it: Ctrl-C or
                # SIGTERM reach the whole process group, so the server is shutting down too.
                return
            delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 60)
            log.warning(
                "%s: %s exited with %s; restarting in %.0f s", self.label, self.verb, code, delay
            )
            self.stopping.wait(delay)

    def stop(self) -> None:
        if os.getpid() != self.owner:
            # A web process, forked from the server with a copy of this object, is exiting
            # through the server's clean-up: the job processes are not its to stop.
            return
        self.stopping.set()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


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
        workers = [JobWorker("worker"), JobWorker("scheduler")] if options["jobs"] else []
        for worker in workers:
            worker.start()
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(f"Serving on {url} (Ctrl-C stops)")
        self.stdout.flush()
        try:
            _Gunicorn(
                gunicorn_options(
                    options["host"], options["port"], options["workers"], options["threads"]
                )
            ).run()
        finally:
            for worker in workers:
                worker.stop()
