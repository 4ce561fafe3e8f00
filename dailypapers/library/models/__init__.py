"""The reader's own records, one module a kind (Django finds them all here)."""

from .collections import Collection, CollectionItem, ReadMark
from .signals import Feedback, Follow, ReaderState

__all__ = [
    "Collection",
    "CollectionItem",
    "Feedback",
    "Follow",
    "ReadMark",
    "ReaderState",
]
