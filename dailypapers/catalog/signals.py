from django.dispatch import Signal

papers_changed = Signal()
"""Sent after a transaction that added or changed papers commits; ``arxiv_ids`` is a list."""
