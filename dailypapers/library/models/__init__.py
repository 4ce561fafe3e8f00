"""The reader's own records, one module a kind (Django finds them all here)."""

from .collections import Collection, CollectionItem, ReadMark
from .imports import ImportEntry, LibraryImport
from .signals import Feedback, Follow, ReaderState

__all__ = [
    "Collection",
    "CollectionItem",
    "Feedback",
    "Follow",
    "ImportEntry",
    "LibraryImport",
    "ReadMark",
    "ReaderState",
]
