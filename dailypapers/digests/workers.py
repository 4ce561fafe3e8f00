"""What a composing process runs (``compose.compose_due`` with several workers).

Processes are started with ``spawn``: a fresh interpreter that inherits nothing of the
parent's database connections, search index or threads. It imports this module before Django
is set up, so nothing here imports a model until ``start`` has run ``django.setup()``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compose import Job, Run

_RUN: list[Run] = []  # the process's one Run, made at its first job


def start(module: str, database: str, inherited: dict[str, Any]) -> None:
    """Set Django up as the parent has it: its settings module, database and the settings
    it may have changed after its start."""
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    for name, value in inherited.items():
        setattr(settings, name, value)
    connections["default"].settings_dict["NAME"] = database


def work(job: Job, dry_run: bool) -> tuple[int, int]:
    from .compose import Run

    if not _RUN:
        _RUN.append(Run())
    return _RUN[0].compose(job, dry_run)
