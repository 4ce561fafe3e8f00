"""``/api/v1``: our own JSON API (django-ninja), read and write.

Every error is JSON of one shape, ``{"code": ..., "message": ...}``: ``code`` is stable (a
script may branch on it), ``message`` is what the page would say. Writes take a personal
token (``Authorization: Bearer dp_…``) made on the settings page; reads need none.
"""

from __future__ import annotations

from . import lists, papers, people, search
from .base import v1
from .write import router as write_router

v1.add_router("/", write_router)  # before the reads: its paths must not be shadowed

v1.add_router("", lists.router)
v1.add_router("", search.router)
v1.add_router("", papers.router)
v1.add_router("", people.router)

__all__ = ["v1"]
